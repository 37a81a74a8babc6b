"""The plausible range of every numeric source value, in one place.

A value outside its range is not a fact about the customer but a data-entry or extract
error (an age of 8678, 1756 bank accounts), so silver turns it into null and the quality
rules count it. The bounds are deliberately generous: they catch the impossible, they do
not trim the unusual. Both ends are inclusive.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class PlausibleRange:
    low: float
    high: float
    why: str


PLAUSIBLE_RANGES: dict[str, PlausibleRange] = {
    "Age": PlausibleRange(14, 100, "years; lending below 14 or above 100 is not possible"),
    "Annual_Income": PlausibleRange(1_000, 1_000_000, "currency a year; the extract's errors are tens of millions"),
    "Monthly_Inhand_Salary": PlausibleRange(50, 100_000, "currency a month after tax"),
    "Num_Bank_Accounts": PlausibleRange(0, 20, "accounts; errors are in the hundreds or thousands"),
    "Num_Credit_Card": PlausibleRange(0, 20, "cards"),
    "Interest_Rate": PlausibleRange(0, 60, "percent a year"),
    "Num_of_Loan": PlausibleRange(0, 20, "loans held; -100 appears as an error code"),
    "Delay_from_due_date": PlausibleRange(-30, 180, "days; early payments are negative"),
    "Num_of_Delayed_Payment": PlausibleRange(0, 60, "payments"),
    "Changed_Credit_Limit": PlausibleRange(-100, 100, "percentage points"),
    "Num_Credit_Inquiries": PlausibleRange(0, 50, "inquiries"),
    "Outstanding_Debt": PlausibleRange(0, 100_000, "currency"),
    "Credit_Utilization_Ratio": PlausibleRange(0, 100, "percent"),
    "Credit_History_Age_months": PlausibleRange(0, 100 * 12, "months; no credit history is older than a century"),
    "Total_EMI_per_month": PlausibleRange(0, 100_000, "currency a month"),
    "Amount_invested_monthly": PlausibleRange(0, 100_000, "currency a month"),
    "Monthly_Balance": PlausibleRange(-100_000, 1_000_000, "currency; the extract writes -3.3e26 for unknown"),
    "tenure": PlausibleRange(1, 120, "installments"),
    "installment_num": PlausibleRange(0, 120, "installments since the loan started"),
    "loan_amt": PlausibleRange(0, 10_000_000, "currency"),
    "due_amt": PlausibleRange(0, 10_000_000, "currency"),
    "paid_amt": PlausibleRange(0, 10_000_000, "currency"),
    "overdue_amt": PlausibleRange(0, 10_000_000, "currency"),
    "balance": PlausibleRange(0, 10_000_000, "currency"),
}
