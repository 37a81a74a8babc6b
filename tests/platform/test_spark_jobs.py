from utils.platform.spark_jobs import group_name, jobs_in_group, jobs_run


def test_the_jobs_of_a_step_are_counted_in_its_group_and_nowhere_else(spark):
    first, second = group_name("run-1", "silver/clickstream"), group_name("run-2", "silver/clickstream")
    with jobs_in_group(spark, first):
        spark.range(10).count()
        spark.range(5).collect()
    spark.range(3).count()  # outside any step
    with jobs_in_group(spark, second):
        spark.range(4).count()
    assert (jobs_run(spark, first), jobs_run(spark, second)) == (2, 1)
    assert spark.sparkContext.getLocalProperty("spark.jobGroup.id") is None


def test_a_nested_group_gives_the_outer_one_back(spark):
    outer, inner = group_name("run-3", "gold"), group_name("run-3", "gold/feature_store")
    with jobs_in_group(spark, outer):
        with jobs_in_group(spark, inner):
            spark.range(2).count()
        spark.range(2).count()
    assert (jobs_run(spark, outer), jobs_run(spark, inner)) == (1, 1)
