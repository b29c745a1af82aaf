"""One local SparkSession for the Spark tests: the JVM start dominates their run time."""
import pytest


@pytest.fixture(scope="session")
def spark(tmp_path_factory):
    """local[2] with Hive support on a throwaway Derby metastore, UI off, few shuffle partitions.

    Hive support is what EMR uses (there the Glue Data Catalog plays the metastore), so
    the catalog test runs the same code path offline.
    """
    pyspark_sql = pytest.importorskip("pyspark.sql")
    home = tmp_path_factory.mktemp("spark")
    session = (
        pyspark_sql.SparkSession.builder.master("local[2]").appName("test-curate-sales")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.shuffle.partitions", "4")
        .config("spark.default.parallelism", "2")
        .config("spark.driver.host", "127.0.0.1")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.warehouse.dir", str(home / "warehouse"))
        .config("spark.hadoop.javax.jdo.option.ConnectionURL",
                "jdbc:derby:;databaseName=%s;create=true" % (home / "metastore_db"))
        # C1-only JIT and serial GC: for a short test JVM on 2 cores this halves CPU time
        # (less compiling, no parallel GC threads); nothing here needs peak throughput.
        .config("spark.driver.extraJavaOptions", "-Dderby.system.home=%s "
                "-XX:TieredStopAtLevel=1 -XX:+UseSerialGC" % home)
        .enableHiveSupport()
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()
