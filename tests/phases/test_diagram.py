"""Phase 5's paths drawn as SVG and Mermaid (phases/rendering/diagram.py): layout,
accessibility, safety.
"""

import re
import xml.etree.ElementTree as ET

from hypothesis import given, settings
from hypothesis import strategies as st

from phases import architecture
from phases.architecture import Architecture, Component, Step
from phases.rendering import diagram

SVG = "{http://www.w3.org/2000/svg}"

COMPONENTS = [
    {"name": "lb", "type": "load_balancer_l7", "count": "2"},
    {"name": "app", "type": "app_server", "count": "12"},
    {"name": "cache", "type": "cache", "count": "3"},
    {"name": "db", "type": "db_primary", "count": "1"},
    {"name": "queue", "type": "queue", "count": "1"},
    {"name": "workers", "type": "worker", "count": "4"},
]


def step(component, action="", branch="", is_async=False):
    return {"component": component, "action": action, "branch": branch, "async": is_async}


READ = [
    step("lb", "forward"),
    step("app", "route by code"),
    step("cache", "look up the code"),
    step("db", "query by code", "miss"),
    step("cache", "store for next time", "miss"),
]
WRITE = [
    step("lb", "forward"),
    step("app"),
    step("db", "insert"),
    step("queue", "publish", is_async=True),
    step("workers", "count clicks", is_async=True),
]


def arch(read=(), write=(), components=COMPONENTS):
    return architecture.parse(
        {
            "version": 1,
            "components": list(components),
            "write_path": list(write),
            "read_path": list(read),
        }
    )


def parse(svg: str) -> ET.Element:
    root = ET.fromstring(svg)
    assert root.tag == f"{SVG}svg"
    return root


def nodes(root):
    return [g for g in root.iter(f"{SVG}g") if g.get("class") == "node"]


def edges(root):
    return [g for g in root.iter(f"{SVG}g") if g.get("class") == "edge"]


def rect(node):
    r = node.find(f"{SVG}rect")
    return float(r.get("x")), float(r.get("y")), r


def texts(element) -> list[str]:
    return [t.text or "" for t in element.iter(f"{SVG}text")]


def by_step(root):
    return {int(n.get("data-step")): n for n in nodes(root) if n.get("data-kind") == "step"}


def assert_safe(svg: str) -> None:
    root = parse(svg)
    for el in root.iter():
        name = el.tag.split("}")[-1].lower()
        assert name not in ("script", "style", "foreignobject", "image", "use", "a"), name
        for attr, value in el.attrib.items():
            local = attr.split("}")[-1].lower()
            assert not local.startswith("on"), attr
            assert local not in ("style", "href"), attr
            assert "xlink" not in attr.lower()
            assert not value.strip().lower().startswith("javascript:"), (attr, value)
            assert "url(" not in value.lower()
    assert "<script" not in svg.lower()
    assert "xlink:href" not in svg.lower()


# --- layout -----------------------------------------------------------------------------


def test_each_component_is_drawn_once_with_the_client():
    root = parse(diagram.path_svg(arch(read=READ), "read_path", "Read path"))
    boxes = nodes(root)
    assert len(boxes) == 5  # client, lb, app, cache, db: the cache is reached twice
    assert [texts(b)[0] for b in boxes] == ["Client", "lb", "app", "cache", "db"]
    assert [b.get("data-kind") for b in boxes].count("client") == 1
    assert all(b.find(f"{SVG}rect") is not None for b in boxes)
    # One arrow per step, the second visit to the cache an arrow back into its one box.
    assert [e.get("data-steps") for e in edges(root)] == ["1", "2", "3", "4", "5"]
    back = edges(root)[-1]
    assert (back.get("data-from"), back.get("data-to")) == ("4", "3")


def test_steps_between_the_same_boxes_share_one_arrow_with_both_numbers():
    read = [
        step("app", "parse"),
        step("cache", "get"),
        step("app", "answer", "hit"),
        step("db", "select", "miss"),
        step("cache", "keep", "miss"),
        step("app", "answer", "miss"),
    ]
    root = parse(diagram.path_svg(arch(read=read), "read_path", "Read path"))
    assert len(nodes(root)) == 4
    shared = next(e for e in edges(root) if e.get("data-steps") == "3 6")
    assert (shared.get("data-from"), shared.get("data-to")) == ("2", "1")
    label = next(
        g
        for g in root.iter(f"{SVG}g")
        if g.get("class") == "edge-label" and g.get("data-steps") == "3 6"
    )
    assert texts(label) == ["3 hit", "6 miss"]


def test_client_first_then_steps_left_to_right_on_the_main_row():
    root = parse(diagram.path_svg(arch(write=WRITE[:3]), "write_path", "Write path"))
    boxes = nodes(root)
    assert texts(boxes[0]) == ["Client"]
    xs = [rect(b)[0] for b in boxes]
    ys = {rect(b)[1] for b in boxes}
    assert xs == sorted(xs) and len(set(xs)) == len(xs)
    assert len(ys) == 1


def test_every_declared_component_on_the_path_is_named_with_type_and_count():
    root = parse(diagram.path_svg(arch(read=READ), "read_path", "Read path"))
    all_text = texts(root)
    for name in ("lb", "app", "cache", "db"):
        assert name in all_text
    assert "Cache · ×3" in all_text
    assert "queue" not in all_text  # declared but not on this path


def test_miss_steps_are_drawn_on_a_second_row_below_the_cache():
    root = parse(diagram.path_svg(arch(read=READ), "read_path", "Read path"))
    steps = by_step(root)
    cache_x, cache_y, _ = rect(steps[2])
    db_x, db_y, _ = rect(steps[3])
    assert db_y > cache_y and db_x == cache_x  # directly below the cache
    assert 4 not in steps  # the cache again: no second box
    for i in (0, 1, 2):
        assert rect(steps[i])[1] == cache_y
    assert steps[3].get("data-branch") == "miss"
    for number in ("4", "5"):  # down to the database and back up to the cache
        miss_edge = next(e for e in edges(root) if e.get("data-steps") == number)
        assert miss_edge.find(f"{SVG}path").get("stroke-dasharray")
        assert miss_edge.get("data-branch") == "miss"
    assert "5 miss" in texts(root)


def test_hit_step_stays_on_the_main_row_and_starts_from_the_cache():
    read = [step("cache", "look up"), step("app", "return it", "hit"), step("db", "query", "miss")]
    root = parse(diagram.path_svg(arch(read=read), "read_path", "Read path"))
    steps = by_step(root)
    assert rect(steps[1])[1] == rect(steps[0])[1]
    assert rect(steps[2])[1] > rect(steps[0])[1]
    hit = next(e for e in edges(root) if e.get("data-branch") == "hit")
    miss = next(e for e in edges(root) if e.get("data-branch") == "miss")
    assert "2 hit" in texts(root)
    assert hit.get("data-from") == miss.get("data-from") == "1"  # both branch at the cache


def test_async_steps_get_a_dashed_arrow_and_an_async_tag():
    root = parse(diagram.path_svg(arch(write=WRITE), "write_path", "Write path"))
    by_to = {e.get("data-to"): e for e in edges(root)}
    for k in ("4", "5"):
        assert by_to[k].get("data-async") == "true"
        assert by_to[k].find(f"{SVG}path").get("stroke-dasharray")
    assert {"4 async", "5 async"} <= set(texts(root))
    assert by_to["3"].get("data-async") == "false"
    assert by_to["3"].find(f"{SVG}path").get("stroke-dasharray") is None


def test_undeclared_component_gets_a_red_dashed_outline():
    write = [step("lb", "forward"), step("mystery", "store")]
    root = parse(diagram.path_svg(arch(write=write), "write_path", "Write path"))
    steps = by_step(root)
    _, _, r = rect(steps[1])
    assert steps[1].get("data-declared") == "false"
    assert r.get("stroke") == "#c62828" and r.get("stroke-dasharray")
    assert texts(steps[1]) == ["mystery", "(not declared)"]
    assert steps[0].get("data-declared") == "true"
    assert rect(steps[0])[2].get("stroke-dasharray") is None


def test_empty_component_is_drawn_as_undeclared():
    root = parse(diagram.path_svg(arch(write=[step("", "do it")]), "write_path", "Write"))
    box = by_step(root)[0]
    assert box.get("data-declared") == "false"
    assert texts(box)[0] == "(no component)"


def test_long_paths_wrap_instead_of_growing_wide():
    write = [step(f"part {i}", f"step {i}") for i in range(9)] + [step("part 0", "again")]
    root = parse(diagram.path_svg(arch(write=write), "write_path", "Write path"))
    _, _, width, height = (float(v) for v in root.get("viewBox").split())
    assert width <= 800  # drawn at its natural size, it fits a wide column
    assert root.get("width") == diagram._n(width)  # the natural size is given
    assert len(nodes(root)) == 10  # the client and nine parts: "part 0" once
    rows = {rect(b)[1] for b in nodes(root)}
    assert len(rows) == 3  # at most 4 per row
    assert all(rect(b)[0] + diagram.BOX_W <= width for b in nodes(root))
    assert all(rect(b)[1] + diagram.BOX_H <= height for b in nodes(root))


def test_long_actions_are_written_out_in_full_and_never_cut():
    long_action = "validate the long URL, generate a short code and check it is unused " * 3
    write = [step("lb", long_action), step("app", "answer")]
    root = parse(diagram.path_svg(arch(write=write), "write_path", "Write path"))
    legend = next(g for g in root.iter(f"{SVG}g") if g.get("class") == "steps")
    lines = texts(legend)
    assert lines[0] == "1." and lines[-2:] == ["2.", "app: answer"]
    written = " ".join(lines[1:-2])
    assert written == "lb: " + " ".join(long_action.split())
    assert not any("…" in t for t in texts(root))
    width = float(root.get("viewBox").split()[2])
    for t in legend.iter(f"{SVG}text"):  # each wrapped line stays inside the drawing
        assert float(t.get("x")) + diagram._width(t.text, 12) <= width
    assert long_action.strip() in root.find(f"{SVG}desc").text  # the words keep it all


def test_long_component_names_wrap_and_are_whole_in_the_title():
    name = "Metadata database read replica in the second region"
    components = [{"name": name, "type": "db_replica", "count": "2"}]
    root = parse(
        diagram.path_svg(arch(read=[step(name, "select")], components=components), "read_path", "R")
    )
    box = by_step(root)[0]
    lines = texts(box)
    assert len(lines) >= 3  # the name on two lines, then type and count
    assert lines[1].endswith("…") and name.startswith(f"{lines[0]} {lines[1][:-1]}".strip())
    assert box.find(f"{SVG}title").text.startswith(name)
    for t in box.iter(f"{SVG}text"):  # every line fits inside its box
        size = float(t.get("font-size")) * (1.08 if t.get("font-weight") else 1)
        assert diagram._width(t.text, size) <= diagram.BOX_W - 4


def test_every_text_is_at_least_12_units_high():
    svg = diagram.path_svg(arch(read=READ, write=WRITE), "read_path", "Read path")
    sizes = [float(t.get("font-size")) for t in parse(svg).iter(f"{SVG}text")]
    assert min(sizes) >= 12
    rows = [{"name": "db", "load": 1, "capacity": 2}]
    chart = parse(diagram.capacity_svg(rows))
    assert min(float(t.get("font-size")) for t in chart.iter(f"{SVG}text")) >= 12


def test_steps_in_words_number_nothing_and_name_branches():
    words = diagram.steps_in_words(arch(read=READ), "read_path")
    assert words[3] == "db, on a cache miss: query by code"
    assert words[0] == "lb: forward"
    assert diagram.steps_in_words(arch(), "read_path") == []
    undeclared = diagram.steps_in_words(arch(write=[step("ghost", "", "", True)]), "write_path")
    assert undeclared == ["ghost (not declared), asynchronously"]


def test_empty_path_says_no_steps_yet():
    svg = diagram.path_svg(arch(), "write_path", "Write path")
    root = parse(svg)
    assert "No steps yet" in texts(root)
    assert not nodes(root)
    assert float(root.get("viewBox").split()[2]) <= 300
    assert_safe(svg)
    assert "No steps yet" in diagram.path_svg(None, "read_path", "Read path")


# --- accessibility ----------------------------------------------------------------------


def test_title_desc_and_aria_labelledby():
    root = parse(diagram.path_svg(arch(write=WRITE[:3]), "write_path", "Write path"))
    assert root.get("role") == "img"
    title, desc = root.find(f"{SVG}title"), root.find(f"{SVG}desc")
    assert title.text == "Write path"
    assert desc.text == "Client → lb (forward) → app → db (insert)"
    assert root.get("aria-labelledby").split() == [title.get("id"), desc.get("id")]


def test_desc_mentions_branches_async_and_undeclared():
    read = [step("cache", "get"), step("db", "query", "miss"), step("ghost", "", "", True)]
    desc = parse(diagram.path_svg(arch(read=read), "read_path", "Read path")).find(f"{SVG}desc")
    assert desc.text == "Client → cache (get) → db (miss, query) → ghost (async, not declared)"


def test_ids_are_unique_per_diagram():
    a = arch(read=READ, write=WRITE)
    ids = []
    for key in architecture.PATHS:
        root = parse(diagram.path_svg(a, key, key))
        ids += [el.get("id") for el in root.iter() if el.get("id")]
    assert len(ids) == len(set(ids)) == 4


# --- safety -----------------------------------------------------------------------------

HOSTILE = ["<script>alert(1)</script>", '" onload="x', "javascript:alert(1)", "a & b ]]> <!--"]


def test_hostile_names_and_actions_are_escaped():
    components = [{"name": h, "type": "cache", "count": "1"} for h in HOSTILE]
    write = [step(h, h, is_async=True) for h in HOSTILE] + [step(h + "!", h) for h in HOSTILE]
    svg = diagram.path_svg(arch(write=write, components=components), "write_path", HOSTILE[0])
    assert_safe(svg)
    root = parse(svg)
    assert root.find(f"{SVG}title").text == HOSTILE[0]  # shown as text, not run
    assert "<script>alert(1)</script>" in texts(root)
    assert "&lt;script&gt;" in svg


def test_no_inline_styles_and_system_fonts():
    svg = diagram.path_svg(arch(read=READ), "read_path", "Read path")
    assert not re.search(r"\sstyle=", svg) and "<style" not in svg
    assert "system-ui" in parse(svg).get("font-family")


text = st.text(max_size=60)
steps_strategy = st.lists(
    st.tuples(
        st.one_of(text, st.sampled_from(["lb", "app", "cache", "", *HOSTILE])),
        text,
        st.sampled_from(["", "hit", "miss"]),
        st.booleans(),
    ),
    max_size=14,
)


@settings(max_examples=150, deadline=None)
@given(
    names=st.lists(st.one_of(text, st.sampled_from(HOSTILE)), max_size=6),
    steps=steps_strategy,
    title=text,
)
def test_arbitrary_text_always_gives_safe_well_formed_svg(names, steps, title):
    components = tuple(
        Component(f"components[{i}]", n, t, "2", 2, "", "", False)
        for i, (n, t) in enumerate(
            zip(names, ["cache", "db_primary", "", "nonsense"] * 2, strict=False)
        )
    )
    path = tuple(
        Step(f"read_path[{i}]", c, a, b, is_async) for i, (c, a, b, is_async) in enumerate(steps)
    )
    a = Architecture(components=components, write_path=(), read_path=path)
    svg = diagram.path_svg(a, "read_path", title)
    assert_safe(svg)
    boxes = nodes(parse(svg))
    assert len(boxes) <= (len(path) + 1 if path else 0)  # a component reached again: no box
    assert len(edges(parse(svg))) <= len(path)
    numbers = [n for e in edges(parse(svg)) for n in e.get("data-steps").split()]
    assert sorted(numbers, key=int) == [str(i + 1) for i in range(len(path))]
    assert svg == diagram.path_svg(a, "read_path", title)
    chart = diagram.mermaid(a, "read_path")
    body = chart.splitlines()[1:]
    assert all(line.count('"') % 2 == 0 for line in body)
    assert "<script" not in chart.lower() and "`" not in chart


# --- determinism ------------------------------------------------------------------------


def test_same_architecture_same_svg():
    one = diagram.path_svg(arch(read=READ, write=WRITE), "read_path", "Read path")
    two = diagram.path_svg(arch(read=READ, write=WRITE), "read_path", "Read path")
    assert one == two
    assert diagram.mermaid(arch(read=READ), "read_path") == diagram.mermaid(
        arch(read=READ), "read_path"
    )


def test_computed_draws_both_paths():
    class Design:
        architecture = arch(read=READ, write=WRITE)

    out = architecture.computed(Design())
    assert set(out) >= {"write_svg", "read_svg"}
    assert parse(out["write_svg"]).find(f"{SVG}title").text == "Write path"
    assert parse(out["read_svg"]).find(f"{SVG}title").text == "Read path"


# --- Mermaid ----------------------------------------------------------------------------


def test_mermaid_for_a_small_path():
    read = [step("lb", "forward"), step("cache", "get"), step("db", 'query "code"', "miss")]
    assert diagram.mermaid(arch(read=read), "read_path") == (
        "flowchart LR\n"
        '    n0["Client"]\n'
        '    n1["lb<br/>Load balancer (L7) · ×2"]\n'
        '    n2["cache<br/>Cache · ×3"]\n'
        '    n3["db<br/>Database primary · ×1"]\n'
        '    n0 -->|"forward"| n1\n'
        '    n1 -->|"get"| n2\n'
        '    n2 -.->|"miss: query #quot;code#quot;"| n3\n'
    )


def test_mermaid_escapes_and_marks_undeclared():
    write = [step("<b>x</b>", "a|b; #1 `c`", is_async=True)]
    chart = diagram.mermaid(arch(write=write), "write_path")
    assert '["#lt;b#gt;x#lt;/b#gt;<br/>(not declared)"]' in chart
    assert '-.->|"async: a#124;b#59; #35;1 #96;c#96;"|' in chart
    assert "class n1 undeclared" in chart
    assert diagram.mermaid(arch(), "write_path") == 'flowchart LR\n    n0["No steps yet"]\n'


def test_capacity_chart_draws_a_bar_per_bounded_component_and_escapes_names():
    import xml.etree.ElementTree as ET

    from phases.rendering.diagram import capacity_svg

    rows = [
        {"name": "db <script>", "load": 200, "capacity": 50_000},
        {"name": "app", "load": 6_000, "capacity": 4_000},
        {"name": "object storage", "load": 500, "capacity": None},
    ]
    svg = capacity_svg(rows)
    root = ET.fromstring(svg)
    ns = "{http://www.w3.org/2000/svg}"
    shares = [float(r.get("data-share")) for r in root.iter(f"{ns}rect") if r.get("data-share")]
    assert shares == [0.004, 1.5]  # the unbounded store has no bar
    assert not any(el.tag.endswith("script") for el in root.iter())
    assert "db &lt;script&gt;" in svg
    assert "150%" in svg


def test_capacity_chart_names_in_full_an_axis_and_the_capacity_line():
    name = "Metadata database replicas in the second region"
    rows = [
        {"name": name, "load": 900, "capacity": 1_000},
        {"name": "db", "load": 1, "capacity": 9},
    ]
    root = parse(diagram.capacity_svg(rows))
    all_text = texts(root)
    assert "db" in all_text  # a short name is not cut ("db…")
    assert " ".join(t for t in all_text if t in name) == name  # wrapped, every word kept
    titles = [t.text for t in root.iter(f"{SVG}title")]
    assert any(t.startswith(name) for t in titles)
    axis = next(g for g in root.iter(f"{SVG}g") if g.get("class") == "axis")
    assert texts(axis) == ["0%", "50%", "100%", "150%", "load as % of capacity"]
    assert len(list(axis.iter(f"{SVG}line"))) == 1 + 7  # the axis and a tick every 25%
    line = next(g for g in root.iter(f"{SVG}g") if g.get("class") == "capacity-line")
    assert texts(line) == ["capacity (100%)"]
    tick_100 = list(axis.iter(f"{SVG}line"))[5]
    assert line.find(f"{SVG}line").get("x1") == tick_100.get("x1")  # on the 100% tick
    assert_safe(diagram.capacity_svg([{"name": '<script>"x"', "load": 1, "capacity": 2}]))
