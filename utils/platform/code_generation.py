"""Query code compiled by Spark: what a fresh JVM pays for and a warm session reuses.

Spark turns each query stage into Java source and compiles it (Janino); the compiled class
is cached by its source text (spark_session.py keeps 10,000 and leaves stage ids out of
class names). Spark's own CodegenMetrics count every compilation in the JVM and its
CodeGenerator adds up their time, so a run can record how much it compiled: about 250
classes in a fresh process, a handful in a second run in the same session.
"""

from dataclasses import dataclass

from pyspark.sql import SparkSession


@dataclass(frozen=True)
class CompiledCode:
    classes: int
    seconds: float

    def since(self, earlier: "CompiledCode") -> dict:
        """What was compiled between `earlier` and this reading, for the run record."""
        return {
            "classes_compiled": self.classes - earlier.classes,
            "compile_seconds": round(self.seconds - earlier.seconds, 3),
        }


def compiled_so_far(spark: SparkSession) -> CompiledCode:
    """Classes compiled and seconds spent compiling in the driver's JVM since it started
    (in local mode the executors' compilations too; on a cluster they happen elsewhere)."""
    jvm = spark._jvm
    count = jvm.org.apache.spark.metrics.source.CodegenMetrics.METRIC_COMPILATION_TIME().getCount()
    nanos = jvm.org.apache.spark.sql.catalyst.expressions.codegen.CodeGenerator.compileTime()
    return CompiledCode(count, nanos / 1e9)
