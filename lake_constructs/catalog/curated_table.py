"""The curated Glue table of a dataset, declared from its contract instead of crawled."""
from aws_cdk import Aws, RemovalPolicy
from aws_cdk import aws_glue as glue
from constructs import Construct

from lake_config.datasets import Dataset

PARQUET = {
    "input_format": "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat",
    "output_format": "org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat",
    "serde": "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe",
}


class CuratedTable(Construct):
    """`database.<dataset table>`: Snappy Parquet at the dataset's curated prefix, columns and
    types exactly as the contract declares them, partitioned by its date partition (string).

    Secures: the schema users query is the reviewed contract, not whatever a crawler inferred
    from the files; the curation job may add partitions but cannot alter the table (its role
    has no glue:UpdateTable). A contract change updates the table in place; partitions keep
    their own storage descriptors. `retain` keeps the definition (and the partitions the job
    registered) when the stack is deleted, like the database that holds it.
    """

    def __init__(self, scope: Construct, id: str, *, dataset: Dataset, database_name: str, bucket_name: str, retain: bool) -> None:
        super().__init__(scope, id)
        self.table_name = dataset.table
        self.location = f"s3://{bucket_name}/{dataset.curated_prefix}"
        self.table = glue.CfnTable(
            self,
            "Table",
            catalog_id=Aws.ACCOUNT_ID,
            database_name=database_name,
            table_input=glue.CfnTable.TableInputProperty(
                name=dataset.table,
                description=dataset.description or f"Curated {dataset.name}.",
                table_type="EXTERNAL_TABLE",
                parameters={"classification": "parquet", "parquet.compression": "SNAPPY", "EXTERNAL": "TRUE"},
                partition_keys=[glue.CfnTable.ColumnProperty(name=dataset.partition, type="string")],
                storage_descriptor=glue.CfnTable.StorageDescriptorProperty(
                    location=self.location,
                    input_format=PARQUET["input_format"],
                    output_format=PARQUET["output_format"],
                    serde_info=glue.CfnTable.SerdeInfoProperty(serialization_library=PARQUET["serde"]),
                    columns=[
                        glue.CfnTable.ColumnProperty(name=column.name, type=column.type, comment=column.description or None)
                        for column in dataset.columns
                    ],
                ),
            ),
        )
        self.table.apply_removal_policy(RemovalPolicy.RETAIN if retain else RemovalPolicy.DESTROY)
        # A fixed logical ID per dataset: a refactor of construct paths can never replace the
        # table (and drop the partitions the job registered); tests pin it.
        self.table.override_logical_id(id)
