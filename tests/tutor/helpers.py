"""Building phase 1 POST data the way the browser sends it."""

from tutor.forms import MAX_ROWS, RequirementsForms


def requirements_post(document: dict) -> dict:
    """Flatten a phase 1 document into the form's POST fields."""
    data: dict = {}
    main_fields = RequirementsForms.main_class.base_fields
    for name in main_fields:
        value = document
        for key in name.split("__"):
            value = value.get(key, "") if isinstance(value, dict) else ""
        data[name] = value
    for prefix in RequirementsForms.row_classes:
        rows = document.get(prefix, [])
        data[f"{prefix}-TOTAL_FORMS"] = str(len(rows))
        data[f"{prefix}-INITIAL_FORMS"] = "0"
        data[f"{prefix}-MIN_NUM_FORMS"] = "0"
        data[f"{prefix}-MAX_NUM_FORMS"] = str(MAX_ROWS)
        for i, row in enumerate(rows):
            for key, value in row.items():
                data[f"{prefix}-{i}-{key}"] = value
    return data
