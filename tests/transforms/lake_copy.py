"""A test's own copy of the session company's lake, for tests that rebuild part of it."""

from __future__ import annotations


def own_lake_copy(built_company, tmp_path_factory, monkeypatch, tag, warehouse, keep=lambda key: True):
    """A lake and home of the test's own (monkeypatched, so restored afterwards) holding the
    session company's compacted parts that `keep` accepts, and a writable copy of `warehouse`
    where the build looks for it: for a test that changes an input and rebuilds part of the
    project without touching the shared company."""
    import shutil
    import uuid

    from ledgerlake.lake import Lake
    from ledgerlake.transform.runner import warehouse_path

    suffix = uuid.uuid4().hex[:8]
    source = built_company["lake"]
    env = dict(
        built_company["env"],
        LEDGERLAKE_RAW_BUCKET=f"raw-{tag}-{suffix}",
        LEDGERLAKE_MARTS_BUCKET=f"marts-{tag}-{suffix}",
        LEDGERLAKE_HOME=str(tmp_path_factory.mktemp(f"{tag}-home")),
    )
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    lake = Lake()
    lake.ensure_buckets()
    for key in source.keys("compacted/"):
        if keep(key):
            lake.s3.copy_object(Bucket=lake.bucket, Key=key, CopySource={"Bucket": source.bucket, "Key": key})
    warehouse_path().parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(warehouse, warehouse_path())
    return lake
