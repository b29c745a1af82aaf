"""A lake bucket registered with Lake Formation through a role of its own."""
from aws_cdk import Acknowledgment, Validations
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lakeformation as lakeformation
from aws_cdk import aws_s3 as s3
from constructs import Construct

from compliance.finding_ids import iam5_resource
from lake_constructs.shared.service_principals import account_scoped_service


class RegisteredLocation(Construct):
    """Registers `s3://<bucket>` (`AWS::LakeFormation::Resource`), in hybrid access mode if asked.

    Secures: Lake Formation vends credentials for the bucket through a dedicated role, not the
    service-linked role: AWS requires a user-defined role for locations read by Amazon EMR and
    lets it carry the KMS permissions a customer-managed key needs ("Requirements for roles used
    to register locations", "Registering an encrypted Amazon S3 location", Lake Formation
    Developer Guide). The role trusts only Lake Formation and Glue acting for this account, reads
    and writes only this bucket's objects and uses only the lake key. `grant_data_location`
    gives a principal DATA_LOCATION_ACCESS on one prefix, which creating tables and partitions
    there needs once the location is registered, in hybrid mode too ("Hybrid access mode
    considerations and limitations").
    """

    def __init__(self, scope: Construct, id: str, *, bucket: s3.IBucket, key: kms.IKey, hybrid: bool) -> None:
        super().__init__(scope, id)
        self._bucket = bucket
        self.role = iam.Role(
            self,
            "Role",
            assumed_by=iam.CompositePrincipal(
                account_scoped_service("lakeformation.amazonaws.com"), account_scoped_service("glue.amazonaws.com")
            ),
            description=f"Lake Formation reads and writes s3://{bucket.bucket_name} for the engines it vends credentials to.",
        )
        objects = bucket.arn_for_objects("*")
        policy = iam.ManagedPolicy(
            self,
            "Policy",
            roles=[self.role],
            statements=[
                iam.PolicyStatement(actions=["s3:GetObject", "s3:PutObject", "s3:DeleteObject"], resources=[objects]),
                iam.PolicyStatement(actions=["s3:ListBucket"], resources=[bucket.bucket_arn]),
                iam.PolicyStatement(actions=["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey"], resources=[key.key_arn]),
            ],
        )
        Validations.of(policy).acknowledge(
            Acknowledgment(
                id=iam5_resource(self, objects),
                reason="The location Lake Formation governs is the whole zone bucket; it scopes each vended credential "
                "down to the table the engine was granted.",
            )
        )
        self.resource = lakeformation.CfnResource(
            self,
            "Resource",
            resource_arn=bucket.bucket_arn,
            use_service_linked_role=False,
            role_arn=self.role.role_arn,
            hybrid_access_enabled=hybrid,
        )
        self.resource.node.add_dependency(policy)

    def location_arn(self, prefix: str = "") -> str:
        return self._bucket.arn_for_objects(prefix.rstrip("/")) if prefix else self._bucket.bucket_arn

    def grant_data_location(self, scope: Construct, id: str, principal_arn: str, prefix: str) -> lakeformation.CfnPrincipalPermissions:
        """DATA_LOCATION_ACCESS on `s3://<bucket>/<prefix>` ("locations are buckets or prefixes under a
        bucket", "Underlying data access control")."""
        grant = lakeformation.CfnPrincipalPermissions(
            scope,
            id,
            principal=lakeformation.CfnPrincipalPermissions.DataLakePrincipalProperty(data_lake_principal_identifier=principal_arn),
            resource=lakeformation.CfnPrincipalPermissions.ResourceProperty(
                data_location=lakeformation.CfnPrincipalPermissions.DataLocationResourceProperty(
                    catalog_id=self.resource.stack.account, resource_arn=self.location_arn(prefix)
                )
            ),
            permissions=["DATA_LOCATION_ACCESS"],
            permissions_with_grant_option=[],
        )
        grant.node.add_dependency(self.resource)
        return grant
