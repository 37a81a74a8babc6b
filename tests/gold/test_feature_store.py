"""The feature store on hand-made silver frames: one row per application, point in time."""

import statistics
from datetime import date

import numpy as np
import pytest

from tests.conftest import rows
from utils.gold.feature_store import FEATURES, build_feature_store, column_dictionary

LOANS = "loan_id string, Customer_ID string, loan_amt double, tenure int, mob int, snapshot_date date"
ATTRS = "Customer_ID string, Age int, Occupation string, snapshot_date date"
CLICKS = ", ".join(f"fe_{i} int" for i in range(1, 21)) + ", Customer_ID string, snapshot_date date"
FIN_COLUMNS = {
    "Annual_Income": "double",
    "Monthly_Inhand_Salary": "double",
    "Num_Bank_Accounts": "int",
    "Num_Credit_Card": "int",
    "Interest_Rate": "int",
    "Num_of_Loan": "int",
    "Delay_from_due_date": "int",
    "Num_of_Delayed_Payment": "int",
    "Changed_Credit_Limit": "double",
    "Num_Credit_Inquiries": "int",
    "Credit_Mix": "string",
    "Outstanding_Debt": "double",
    "Credit_Utilization_Ratio": "double",
    "Credit_History_Age_months": "int",
    "Payment_of_Min_Amount": "string",
    "Total_EMI_per_month": "double",
    "Amount_invested_monthly": "double",
    "Payment_Behaviour": "string",
    "Monthly_Balance": "double",
    **{name: "int" for name in (f.name for f in FEATURES) if name.startswith("loan_type")},
}
FINS = ", ".join(f"{name} {kind}" for name, kind in FIN_COLUMNS.items()) + ", Customer_ID string, snapshot_date date"

M = [date(2023, month, 1) for month in range(1, 13)]


def financials_row(customer, month, income=60000.0, debt=1200.0, mix="good"):
    values = dict.fromkeys(FIN_COLUMNS)
    values.update(
        Annual_Income=income,
        Monthly_Inhand_Salary=4000.0,
        Outstanding_Debt=debt,
        Total_EMI_per_month=400.0,
        Amount_invested_monthly=200.0,
        Monthly_Balance=800.0,
        Num_of_Loan=2,
        Num_of_Delayed_Payment=6,
        Credit_Mix=mix,
        Payment_of_Min_Amount="yes",
        Payment_Behaviour="high_spent_small_value_payments",
        loan_type_auto_loan=2,
        loan_types_listed=2,
    )
    return tuple(values.values()) + (customer, month)


def clicks_row(customer, month, value):
    return tuple([value] * 20) + (customer, month)


@pytest.fixture(scope="module")
def store(spark):
    loans = spark.createDataFrame(
        [
            ("A_1", "A", 10000.0, 10, 0, M[6]),
            ("A_1", "A", 10000.0, 10, 1, M[7]),  # applied in July
            ("B_1", "B", 10000.0, 10, 0, M[2]),  # applied in March, no clickstream at all
        ],
        LOANS,
    )
    attributes = spark.createDataFrame(
        [("A", 40, "teacher", M[6]), ("A", 41, "doctor", M[8]), ("B", 30, None, M[2])], ATTRS
    )
    financials = spark.createDataFrame(
        [
            financials_row("A", M[3], income=50000.0),
            financials_row("A", M[6], income=60000.0),
            financials_row("A", M[9], income=999999.0, mix="bad"),  # the future
            financials_row("B", M[2], income=0.0),
        ],
        FINS,
    )
    clickstream = spark.createDataFrame(
        [
            clicks_row("A", M[0], 1000),  # A's first month: the whole history reaches it
            clicks_row("A", M[2], 10),
            clicks_row("A", M[4], 20),
            clicks_row("A", M[5], 30),
            clicks_row("A", M[6], 60),
            clicks_row("A", M[7], 5000),
            clicks_row("A", M[11], 5000),  # the future
        ],
        CLICKS,
    )
    built = build_feature_store(loans, attributes, financials, clickstream)
    return built, {row["loan_id"]: row for row in rows(built, "loan_id")}


def test_one_row_per_application_dated_at_its_month(store):
    _, by_loan = store
    assert sorted(by_loan) == ["A_1", "B_1"]
    assert by_loan["A_1"]["snapshot_date"] == M[6] and by_loan["B_1"]["snapshot_date"] == M[2]


def test_attributes_and_financials_are_the_latest_known_at_application(store):
    a = store[1]["A_1"]
    assert a["Age"] == 40 and a["occupation_teacher"] == 1 and a["occupation_doctor"] == 0
    assert a["Annual_Income"] == 60000.0 and a["credit_mix_score"] == 2
    assert a["_attributes_as_of"] == M[6] and a["_financials_as_of"] == M[6]


def test_clickstream_windows_end_at_the_application_month(store):
    a = store[1]["A_1"]
    history = [1000, 10, 20, 30, 60]  # January, March, May, June, July; August on is the future
    months = [-6, -4, -2, -1, 0]  # months before the application in July
    assert a["fe_1_latest"] == 60
    assert a["fe_1_mean_3m"] == pytest.approx((20 + 30 + 60) / 3)  # May, June, July
    assert a["fe_7_mean_all"] == pytest.approx(statistics.mean(history))
    assert a["fe_20_std_all"] == pytest.approx(statistics.stdev(history))
    assert a["fe_9_slope_all"] == pytest.approx(np.polyfit(months, history, 1)[0])
    assert a["click_months_with_data"] == 5 and a["click_months_since_first"] == 6
    assert a["click_history_missing"] == 0
    assert a["_clickstream_first_month"] == M[0] and a["_clickstream_last_month"] == M[6]


def test_one_month_of_history_has_a_level_but_no_spread_or_trend(spark):
    loans = spark.createDataFrame([("C_1", "C", 10000.0, 10, 0, M[4])], LOANS)
    clicks = spark.createDataFrame([clicks_row("C", M[4], 7), clicks_row("C", M[5], 9)], CLICKS)
    empty = {name: spark.createDataFrame([], schema) for name, schema in (("attributes", ATTRS), ("financials", FINS))}
    (c,) = rows(build_feature_store(loans, empty["attributes"], empty["financials"], clicks), "loan_id")
    assert c["fe_1_mean_all"] == 7 and c["fe_1_mean_3m"] == 7 and c["fe_1_latest"] == 7
    assert c["fe_1_std_all"] is None and c["fe_1_slope_all"] is None
    assert c["click_months_with_data"] == 1 and c["click_months_since_first"] == 0


def test_no_statistic_is_fitted_across_rows(spark, store):
    """An application's row depends on its own customer's rows only: building the store
    without the other customers, or with a stranger added, gives A exactly the same row."""
    built, by_loan = store
    stranger_clicks = [clicks_row("Z", month, 10_000 * (i + 1)) for i, month in enumerate(M[:8])]
    loans = spark.createDataFrame([("A_1", "A", 10000.0, 10, 0, M[6]), ("Z_1", "Z", 99999.0, 10, 0, M[7])], LOANS)
    attributes = spark.createDataFrame([("A", 40, "teacher", M[6]), ("Z", 99, "doctor", M[7])], ATTRS)
    financials = spark.createDataFrame(
        [
            financials_row("A", M[3], income=50000.0),
            financials_row("A", M[6], income=60000.0),
            financials_row("Z", M[7], income=1e9),
        ],
        FINS,
    )
    clicks = spark.createDataFrame(
        [clicks_row("A", M[m], v) for m, v in ((0, 1000), (2, 10), (4, 20), (5, 30), (6, 60))] + stranger_clicks,
        CLICKS,
    )
    alone_and_with_a_stranger = {
        row["loan_id"]: row for row in rows(build_feature_store(loans, attributes, financials, clicks), "loan_id")
    }
    assert alone_and_with_a_stranger["A_1"] == by_loan["A_1"]


def test_application_without_history_keeps_nulls_and_flags_them(store):
    b = store[1]["B_1"]
    assert b["click_months_with_data"] == 0 and b["click_history_missing"] == 1 and b["fe_3_mean_all"] is None
    assert b["click_months_since_first"] is None and b["_clickstream_first_month"] is None
    assert b["occupation_teacher"] is None  # unknown occupation stays unknown, no imputation
    assert b["debt_to_income"] is None  # income 0: no ratio, no division error


def test_derived_ratios(store):
    a = store[1]["A_1"]
    assert a["debt_to_income"] == pytest.approx(1200 / 60000)
    assert a["emi_to_salary"] == pytest.approx(0.1) and a["invested_share_of_salary"] == pytest.approx(0.05)
    assert a["installment_to_salary"] == pytest.approx(1000 / 4000) and a["delayed_payments_per_loan"] == 3
    assert a["pays_minimum_only"] == 1 and a["spends_high"] == 1 and a["payment_value_size"] == 0


def test_column_dictionary_describes_every_column(store):
    built, _ = store
    dictionary = column_dictionary(built)
    assert [row["name"] for row in dictionary] == built.columns
    assert all(row["type"] and row["source"] and row["definition"] for row in dictionary)
