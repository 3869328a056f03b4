"""Create neutron's tables from its models (run with the test cloud's python).

neutron's alembic migrations ALTER constraints, which SQLite cannot do; the
models describe the same schema, and ``neutron-db-manage stamp heads`` then
records it as current.
"""

import sys

import sqlalchemy
from neutron.db.migration.models import head  # noqa: F401  (imports every model)
from neutron_lib.db import model_base


def main(url: str) -> None:
    engine = sqlalchemy.create_engine(url)
    model_base.BASEV2.metadata.create_all(engine)


if __name__ == "__main__":
    main(sys.argv[1])
