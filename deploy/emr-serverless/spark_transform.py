"""EMR Serverless entry point (template.yaml SparkTransformSchedule's StartJobRun):
compaction, then `dbt build --target spark` in the job's Spark session."""

import sys

from ledgerlake.transform.spark import main

if __name__ == "__main__":
    sys.exit(main())
