from datetime import date

from tests.conftest import rows
from utils.gold.label_store import LabelDefinition, build_labels

SCHEMA = "loan_id string, Customer_ID string, mob int, dpd int, snapshot_date date"


def loans(spark, data):
    return spark.createDataFrame(data, SCHEMA)


def test_label_is_dpd_at_the_observation_month(spark):
    data = [
        ("good", "C1", 5, 0, date(2023, 6, 1)),
        ("good", "C1", 6, 0, date(2023, 7, 1)),
        ("bad", "C2", 5, 31, date(2023, 6, 1)),
        ("bad", "C2", 6, 61, date(2023, 7, 1)),
        ("cured", "C3", 5, 59, date(2023, 6, 1)),
        ("cured", "C3", 6, 0, date(2023, 7, 1)),
        ("edge", "C4", 6, 30, date(2023, 7, 1)),
        ("short", "C5", 6, 28, date(2023, 3, 1)),
        ("young", "C6", 4, 90, date(2023, 7, 1)),
        ("unknown", "C7", 6, None, date(2023, 7, 1)),
    ]
    labels = {row["loan_id"]: row for row in rows(build_labels(loans(spark, data), LabelDefinition()), "loan_id")}
    assert {loan: row["label"] for loan, row in labels.items()} == {
        "good": 0,
        "bad": 1,
        "cured": 0,
        "edge": 1,
        "short": 0,
        "unknown": None,
    }
    assert labels["bad"]["snapshot_date"] == date(2023, 7, 1)  # observed at mob 6, not at application
    assert {row["label_def"] for row in labels.values()} == {"30dpd_6mob"}


def test_definition_is_a_parameter(spark):
    data = [
        ("a", "C1", 3, 31, date(2023, 4, 1)),
        ("a", "C1", 6, 0, date(2023, 7, 1)),
        ("b", "C2", 3, 95, date(2023, 4, 1)),
    ]
    labels = rows(build_labels(loans(spark, data), LabelDefinition(dpd=90, mob=3)), "loan_id")
    assert [(row["loan_id"], row["label"], row["label_def"]) for row in labels] == [
        ("a", 0, "90dpd_3mob"),
        ("b", 1, "90dpd_3mob"),
    ]
