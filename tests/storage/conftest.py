"""Media on an S3-protocol server: the one `.ci/run` starts (STREAMIFY_TEST_S3_ENDPOINT,
moto in server mode), else a moto server started here for the session."""

import os
import uuid

import boto3
import pytest
from botocore.config import Config

ACCESS_KEY = "streamify-test"
SECRET_KEY = "streamify-test-secret"
REGION = "us-east-1"


@pytest.fixture(scope="session")
def s3_endpoint():
    endpoint = os.environ.get("STREAMIFY_TEST_S3_ENDPOINT")
    if endpoint:
        yield endpoint
        return
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def s3_client(s3_endpoint):
    return boto3.client(
        "s3",
        endpoint_url=s3_endpoint,
        aws_access_key_id=ACCESS_KEY,
        aws_secret_access_key=SECRET_KEY,
        region_name=REGION,
        config=Config(s3={"addressing_style": "path"}),
    )


@pytest.fixture
def bucket(settings, s3_client, s3_endpoint):
    """A fresh bucket as the default storage, like production with AWS_STORAGE_BUCKET_NAME."""
    name = f"streamify-test-{uuid.uuid4().hex[:12]}"
    s3_client.create_bucket(Bucket=name)
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {
                "bucket_name": name,
                "endpoint_url": s3_endpoint,
                "access_key": ACCESS_KEY,
                "secret_key": SECRET_KEY,
                "region_name": REGION,
                "addressing_style": "path",
                "querystring_auth": True,
                "default_acl": None,
                "file_overwrite": True,
            },
        },
    }
    yield name
    objects = s3_client.list_objects_v2(Bucket=name).get("Contents", [])
    for entry in objects:
        s3_client.delete_object(Bucket=name, Key=entry["Key"])
    s3_client.delete_bucket(Bucket=name)


def bucket_keys(s3_client, bucket: str) -> set[str]:
    return {entry["Key"] for entry in s3_client.list_objects_v2(Bucket=bucket).get("Contents", [])}
