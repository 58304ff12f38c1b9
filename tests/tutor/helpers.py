"""Building phase POST data the way the browser sends it."""

from tutor import views
from tutor.forms import MAX_ROWS, forms_for


def phase_post(forms_class, document: dict, base_revision: int = 0) -> dict:
    """Flatten a phase document into the POST fields of ``forms_class``: the main form's
    fields (``group__key`` names nested keys), each formset with its management form, and
    the revision the form was built from (0: the phase was never saved; a later save
    passes the stored revision, as the page's hidden input does)."""
    data: dict = {"base_revision": str(base_revision)}
    for name in forms_class.main_class.base_fields:
        value = document
        for key in name.split("__"):
            value = value.get(key, "") if isinstance(value, dict) else ""
        data[name] = value
    for prefix in forms_class.row_classes:
        rows = document.get(prefix, [])
        data[f"{prefix}-TOTAL_FORMS"] = str(len(rows))
        data[f"{prefix}-INITIAL_FORMS"] = "0"
        data[f"{prefix}-MIN_NUM_FORMS"] = "0"
        data[f"{prefix}-MAX_NUM_FORMS"] = str(MAX_ROWS)
        for i, row in enumerate(rows):
            for key, value in row.items():
                data[f"{prefix}-{i}-{key}"] = value
    return data


def requirements_post(document: dict, base_revision: int = 0) -> dict:
    """Flatten a phase 1 document into the form's POST fields."""
    return phase_post(forms_for(1), document, base_revision)


def estimation_post(document: dict, base_revision: int = 0) -> dict:
    """Flatten a phase 2 document into the form's POST fields."""
    return phase_post(forms_for(2), document, base_revision)


# A sound phase 2 answer for the URL shortener: every result follows from the assumptions.
GOOD_ESTIMATE = {
    "version": 1,
    "assumptions": {
        "writes": "100M/day",
        "read_write_ratio": "10:1",
        "object_size": "200 B",
        "retention": "5 years",
        "peak_factor": "2x",
        "overhead": "3x",
        "cache_fraction": "20%",
    },
    "extra_assumptions": [],
    "results": {
        "writes_per_s": "1,160/s",
        "peak_writes_per_s": "2,300/s",
        "reads_per_s": "11,600/s",
        "peak_reads_per_s": "23,000/s",
        "storage": "36.5 TB",
        "storage_with_overhead": "110 TB",
        "bandwidth_in": "460 KB/s",
        "bandwidth_out": "4.6 MB/s",
        "cache_memory": "40 GB",
    },
    "conclusion": {
        "pressure": "storage",
        "implication": "110 TB over five years needs a sharded store; reads fit in a cache.",
    },
}


def renders_of(monkeypatch, template: str) -> list[str]:
    """A list that grows by one each time the views draw ``template`` (a name, with its
    partial if any) through ``render_to_string``."""
    drawn: list[str] = []
    original = views.render_to_string

    def counting(name, *args, **kwargs):
        if name == template:
            drawn.append(name)
        return original(name, *args, **kwargs)

    monkeypatch.setattr(views, "render_to_string", counting)
    return drawn
