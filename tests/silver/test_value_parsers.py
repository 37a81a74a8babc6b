from datetime import date

from pyspark.sql import functions as F

from utils.silver import value_parsers as parse


def parsed(spark, parser, texts):
    frame = spark.createDataFrame([(text,) for text in texts], "text string")
    return [row[0] for row in frame.select(parser(F.col("text"))).collect()]


def test_whole_numbers_accept_decimal_zero_and_refuse_fractions_and_text(spark):
    assert parsed(spark, parse.to_int, ["4", " 12 ", "4.0", "4.5", "abc", "", None, "99999999999"]) == [
        4,
        12,
        4,
        None,
        None,
        None,
        None,
        None,
    ]


def test_numbers(spark):
    assert parsed(spark, parse.to_double, ["52312.68", "-3.5", "1e3", "52312.68_", "_"]) == [
        52312.68,
        -3.5,
        1000.0,
        None,
        None,
    ]


def test_the_three_date_formats_give_the_same_day(spark):
    assert parsed(
        spark, parse.to_date, ["2023-05-01", "5/1/2023", "5/1/23", "05/01/2023", "2023-13-01", "May 2023"]
    ) == [date(2023, 5, 1), date(2023, 5, 1), date(2023, 5, 1), date(2023, 5, 1), None, None]


def test_credit_history_age_in_months(spark):
    assert parsed(
        spark,
        parse.credit_history_months,
        ["10 Years and 9 Months", "0 Years and 1 Months", "1 Year and 1 Month", "NA", None],
    ) == [129, 1, 13, None, None]


def test_categories_are_normalised_and_unknown_ones_refused(spark):
    parser = parse.to_category(("Good", "Standard", "Bad", "Media_Manager"))
    assert parsed(spark, parser, ["Good", " bad ", "STANDARD", "Media_Manager", "_", "Excellent"]) == [
        "good",
        "bad",
        "standard",
        "media_manager",
        None,
        None,
    ]


def test_trailing_underscores_are_stripped(spark):
    assert parsed(spark, parse.strip_trailing_underscores, ["4_", "52312.68__", "7"]) == ["4", "52312.68", "7"]


def test_loan_type_list_counts_each_type_and_repeats(spark):
    frame = spark.createDataFrame(
        [("Not Specified, Home Equity Loan, and Payday Loan",), ("Auto Loan, and Auto Loan",), ("Student Loan",)],
        "t string",
    )
    counts = parse.loan_type_counts(parse.loan_type_list(F.col("t")))
    result = frame.select(*[value.alias(name) for name, value in counts.items()]).collect()
    assert (
        result[0]["loan_type_not_specified"] == 1
        and result[0]["loan_type_home_equity_loan"] == 1
        and result[0]["loan_type_payday_loan"] == 1
    )
    assert result[0]["loan_types_listed"] == 3
    assert result[1]["loan_type_auto_loan"] == 2 and result[1]["loan_types_listed"] == 2
    assert result[2]["loan_type_student_loan"] == 1 and result[2]["loan_types_listed"] == 1
    assert sum(result[2][name] for name in counts if name != "loan_types_listed") == 1


def test_unknown_loan_type_is_detected(spark):
    frame = spark.createDataFrame([("Auto Loan, and Space Loan",), ("Auto Loan",)], "t string")
    assert [row[0] for row in frame.select(parse.has_unknown_loan_type(F.col("t"))).collect()] == [True, False]
