"""Features from what the lender knows at application: the loan asked for, the applicant's
attributes and financials as of the application month, and ratios an analyst would build.

Encodings use the fixed category lists of the data contract, never categories or
statistics learnt from the data, so one application's values never depend on another's.
"""

from pyspark.sql import functions as F

from utils.gold.features import Feature, ratio
from utils.silver.value_parsers import loan_type_column, snake_case
from utils.sources.registry import LOAN_TYPES, OCCUPATIONS

FINANCIAL_VALUES = (
    ("Annual_Income", "annual income at application"),
    ("Monthly_Inhand_Salary", "monthly salary after tax"),
    ("Num_Bank_Accounts", "number of bank accounts"),
    ("Num_Credit_Card", "number of credit cards"),
    ("Interest_Rate", "interest rate on existing credit, percent"),
    ("Num_of_Loan", "number of loans held"),
    ("Delay_from_due_date", "average days of delay from due date"),
    ("Num_of_Delayed_Payment", "number of delayed payments"),
    ("Changed_Credit_Limit", "change of credit limit, percentage points"),
    ("Num_Credit_Inquiries", "number of credit inquiries"),
    ("Outstanding_Debt", "outstanding debt"),
    ("Credit_Utilization_Ratio", "credit utilisation, percent"),
    ("Credit_History_Age_months", "age of the credit history in months"),
    ("Total_EMI_per_month", "equated monthly instalments on existing debt"),
    ("Amount_invested_monthly", "amount invested a month"),
    ("Monthly_Balance", "monthly balance"),
)


def _value(name: str, source: str, definition: str) -> Feature:
    return Feature(name, source, (name,), f"{definition} (silver value, null when unknown)", lambda: F.col(name))


def _loan_type_count(loan_type: str) -> Feature:
    column = loan_type_column(loan_type)
    return Feature(
        column, "financials", ("Type_of_Loan",), f"how often Type_of_Loan lists '{loan_type}'", lambda: F.col(column)
    )


def _one_hot(column: str, value: str, source: str) -> Feature:
    """1 when the category is `value`, 0 for another known category, null when unknown."""
    name = f"{snake_case(column)}_{value}"
    return Feature(
        name,
        source,
        (column,),
        f"1 if {column} is {value}, 0 if another known value, null if unknown",
        lambda: (F.col(column) == value).cast("int"),
    )


def _ordinal(name: str, column: str, order: dict[str, int], source: str) -> Feature:
    shown = ", ".join(f"{key}={value}" for key, value in order.items())
    mapping = lambda: F.create_map(*[F.lit(item) for pair in order.items() for item in pair])  # noqa: E731
    return Feature(
        name,
        source,
        (column,),
        f"{column} as an ordered score: {shown}; null if unknown",
        lambda: F.element_at(mapping(), F.col(column)),
    )


APPLICATION = [
    Feature("loan_amt", "loan_daily", ("loan_amt",), "amount of the loan applied for", lambda: F.col("loan_amt")),
    Feature("tenure", "loan_daily", ("tenure",), "number of monthly installments of the loan", lambda: F.col("tenure")),
]

ATTRIBUTES = [
    _value("Age", "attributes", "age in years"),
    *[_one_hot("Occupation", snake_case(occupation), "attributes") for occupation in OCCUPATIONS],
]

FINANCIALS = [
    *[_value(name, "financials", definition) for name, definition in FINANCIAL_VALUES],
    *[_loan_type_count(loan_type) for loan_type in LOAN_TYPES],
    Feature(
        "loan_types_listed",
        "financials",
        ("Type_of_Loan",),
        "number of loans listed in Type_of_Loan",
        lambda: F.col("loan_types_listed"),
    ),
    _ordinal("credit_mix_score", "Credit_Mix", {"bad": 0, "standard": 1, "good": 2}, "financials"),
    _ordinal("pays_minimum_only", "Payment_of_Min_Amount", {"no": 0, "yes": 1}, "financials"),
    Feature(
        "spends_high",
        "financials",
        ("Payment_Behaviour",),
        "1 if Payment_Behaviour is a high-spending pattern, 0 if low, null if unknown",
        lambda: F.col("Payment_Behaviour").startswith("high_spent").cast("int"),
    ),
    Feature(
        "payment_value_size",
        "financials",
        ("Payment_Behaviour",),
        "size of the payments in Payment_Behaviour: small=0, medium=1, large=2; null if unknown",
        lambda: (
            F.when(F.col("Payment_Behaviour").contains("_small_"), 0)
            .when(F.col("Payment_Behaviour").contains("_medium_"), 1)
            .when(F.col("Payment_Behaviour").contains("_large_"), 2)
        ),
    ),
]

RATIOS = [
    Feature(
        "debt_to_income",
        "financials",
        ("Outstanding_Debt", "Annual_Income"),
        "Outstanding_Debt / Annual_Income",
        lambda: ratio(F.col("Outstanding_Debt"), F.col("Annual_Income")),
    ),
    Feature(
        "emi_to_salary",
        "financials",
        ("Total_EMI_per_month", "Monthly_Inhand_Salary"),
        "Total_EMI_per_month / Monthly_Inhand_Salary: share of salary already committed to debt",
        lambda: ratio(F.col("Total_EMI_per_month"), F.col("Monthly_Inhand_Salary")),
    ),
    Feature(
        "invested_share_of_salary",
        "financials",
        ("Amount_invested_monthly", "Monthly_Inhand_Salary"),
        "Amount_invested_monthly / Monthly_Inhand_Salary",
        lambda: ratio(F.col("Amount_invested_monthly"), F.col("Monthly_Inhand_Salary")),
    ),
    Feature(
        "balance_to_salary",
        "financials",
        ("Monthly_Balance", "Monthly_Inhand_Salary"),
        "Monthly_Balance / Monthly_Inhand_Salary: what is left each month, relative to salary",
        lambda: ratio(F.col("Monthly_Balance"), F.col("Monthly_Inhand_Salary")),
    ),
    Feature(
        "loan_to_income",
        "loan_daily+financials",
        ("loan_amt", "Annual_Income"),
        "loan_amt / Annual_Income",
        lambda: ratio(F.col("loan_amt"), F.col("Annual_Income")),
    ),
    Feature(
        "installment_to_salary",
        "loan_daily+financials",
        ("loan_amt", "tenure", "Monthly_Inhand_Salary"),
        "(loan_amt / tenure) / Monthly_Inhand_Salary: the new loan's installment against salary",
        lambda: ratio(ratio(F.col("loan_amt"), F.col("tenure")), F.col("Monthly_Inhand_Salary")),
    ),
    Feature(
        "delayed_payments_per_loan",
        "financials",
        ("Num_of_Delayed_Payment", "Num_of_Loan"),
        "Num_of_Delayed_Payment / Num_of_Loan",
        lambda: ratio(F.col("Num_of_Delayed_Payment"), F.col("Num_of_Loan")),
    ),
    Feature(
        "salary_to_income",
        "financials",
        ("Monthly_Inhand_Salary", "Annual_Income"),
        "12 * Monthly_Inhand_Salary / Annual_Income: share of income kept after tax",
        lambda: ratio(12 * F.col("Monthly_Inhand_Salary"), F.col("Annual_Income")),
    ),
]

APPLICATION_FEATURES: list[Feature] = APPLICATION + ATTRIBUTES + FINANCIALS + RATIOS
