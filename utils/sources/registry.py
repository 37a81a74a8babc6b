"""The source registry: the four raw CSV extracts, their file names and exact headers.

Everything that needs to know what a source file looks like (the synthetic generator,
bronze ingestion, header validation) reads it from here, so the contract lives in one
place.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class Source:
    stem: str  # file name without ".csv"; also the bronze table name
    silver_table: str
    columns: tuple[str, ...]  # exact header, in file order
    key: tuple[str, ...]  # unique per snapshot month once cleaned
    grain: str

    @property
    def file_name(self) -> str:
        return f"{self.stem}.csv"


LOAN_DAILY = Source(
    stem="lms_loan_daily",
    silver_table="loan_daily",
    columns=(
        "loan_id",
        "Customer_ID",
        "loan_start_date",
        "tenure",
        "installment_num",
        "loan_amt",
        "due_amt",
        "paid_amt",
        "overdue_amt",
        "balance",
        "snapshot_date",
    ),
    key=("loan_id",),
    grain="one row per loan per monthly snapshot",
)

CLICKSTREAM = Source(
    stem="feature_clickstream",
    silver_table="clickstream",
    columns=tuple(f"fe_{i}" for i in range(1, 21)) + ("Customer_ID", "snapshot_date"),
    key=("Customer_ID",),
    grain="one row per customer per month",
)

ATTRIBUTES = Source(
    stem="features_attributes",
    silver_table="attributes",
    columns=("Customer_ID", "Name", "Age", "SSN", "Occupation", "snapshot_date"),
    key=("Customer_ID",),
    grain="one row per customer, as of the loan application month",
)

FINANCIALS = Source(
    stem="features_financials",
    silver_table="financials",
    columns=(
        "Customer_ID",
        "Annual_Income",
        "Monthly_Inhand_Salary",
        "Num_Bank_Accounts",
        "Num_Credit_Card",
        "Interest_Rate",
        "Num_of_Loan",
        "Type_of_Loan",
        "Delay_from_due_date",
        "Num_of_Delayed_Payment",
        "Changed_Credit_Limit",
        "Num_Credit_Inquiries",
        "Credit_Mix",
        "Outstanding_Debt",
        "Credit_Utilization_Ratio",
        "Credit_History_Age",
        "Payment_of_Min_Amount",
        "Total_EMI_per_month",
        "Amount_invested_monthly",
        "Payment_Behaviour",
        "Monthly_Balance",
        "snapshot_date",
    ),
    key=("Customer_ID",),
    grain="one row per customer, as of the loan application month",
)

SOURCES: tuple[Source, ...] = (LOAN_DAILY, CLICKSTREAM, ATTRIBUTES, FINANCIALS)
PERSONAL_DATA = ("Name", "SSN")  # kept in bronze's current tables and nowhere else


# The vocabularies the contract fixes: cleaning accepts these values, the generator draws them.
OCCUPATIONS = (
    "Scientist",
    "Teacher",
    "Engineer",
    "Entrepreneur",
    "Developer",
    "Lawyer",
    "Media_Manager",
    "Doctor",
    "Journalist",
    "Manager",
    "Accountant",
    "Musician",
    "Mechanic",
    "Writer",
    "Architect",
)
LOAN_TYPES = (
    "Auto Loan",
    "Credit-Builder Loan",
    "Personal Loan",
    "Home Equity Loan",
    "Mortgage Loan",
    "Student Loan",
    "Debt Consolidation Loan",
    "Payday Loan",
    "Not Specified",
)
