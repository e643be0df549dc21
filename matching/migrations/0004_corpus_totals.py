from django.db import migrations

# The reserved rows of matching.documents.DOCUMENTS and TOKENS, from the documents indexed.
BACKFILL = """
INSERT INTO matching_term (side, term, df)
SELECT side, ' documents', count(*) FROM matching_document WHERE active GROUP BY side
UNION ALL
SELECT side, ' tokens', coalesce(sum(length), 0) FROM matching_document WHERE active GROUP BY side
ON CONFLICT (side, term) DO UPDATE SET df = EXCLUDED.df
"""


class Migration(migrations.Migration):
    dependencies = [
        ("matching", "0003_token_ids"),
    ]

    operations = [
        migrations.RunSQL(
            BACKFILL,
            "DELETE FROM matching_term WHERE term IN (' documents', ' tokens')",
        ),
    ]
