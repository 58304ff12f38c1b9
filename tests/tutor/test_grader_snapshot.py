"""What the tutor says about every shipped answer stays the same unless a commit means it
to change (scripts/grader_snapshot.py --write records the change beside the code)."""

from scripts.grader_snapshot import differences, file_name, graded_texts, recorded_texts


def test_every_shipped_answer_is_graded_byte_for_byte_as_recorded():
    now = {file_name(name): text + "\n" for name, text in graded_texts().items()}
    changed = differences(recorded_texts(), now)
    assert not changed, (
        "The grader's output changed; if that is meant, run "
        "`.venv/bin/python scripts/grader_snapshot.py --write` and commit the files.\n\n"
        + "\n\n".join(changed)[:6000]
    )


def test_the_snapshot_covers_the_examples_the_samples_and_the_corpus():
    names = set(recorded_texts())
    assert "fixtures_answers_url-shortener.json" in names
    assert any(name.startswith("sample_foundations_url-shortener") for name in names)
    assert "fixtures_accuracy_web-crawler_sound.json" in names
