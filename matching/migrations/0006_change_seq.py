"""Every write to a document takes the next value of a sequence (``change_seq``), and every
delete leaves a tombstone with the next value (a ``TRUNCATE`` one for the whole table, side
``*``).

The offer index held by each worker process (``matching.postings``) reads the rows written
and deleted since its last look through them. Triggers set them, so no write path (a cascade
from a deleted organization included) can forget to.
"""

from django.db import migrations

FORWARD = """
CREATE SEQUENCE matching_document_change_seq;
ALTER TABLE matching_document ADD COLUMN change_seq bigint;
CREATE FUNCTION matching_document_change_seq() RETURNS trigger AS $$
BEGIN
    NEW.change_seq := nextval('matching_document_change_seq');
    RETURN NEW;
END
$$ LANGUAGE plpgsql;
CREATE TRIGGER matching_document_change_seq BEFORE INSERT OR UPDATE ON matching_document
    FOR EACH ROW EXECUTE FUNCTION matching_document_change_seq();
UPDATE matching_document SET change_seq = NULL;
CREATE INDEX matching_doc_side_change_seq ON matching_document (side, change_seq);
CREATE TABLE matching_document_gone (
    change_seq bigint PRIMARY KEY,
    id bigint NOT NULL,
    side varchar(5) NOT NULL,
    deleted_at timestamptz NOT NULL DEFAULT now()
);
CREATE FUNCTION matching_document_gone() RETURNS trigger AS $$
BEGIN
    INSERT INTO matching_document_gone (change_seq, id, side)
        VALUES (nextval('matching_document_change_seq'), OLD.id, OLD.side);
    RETURN OLD;
END
$$ LANGUAGE plpgsql;
CREATE TRIGGER matching_document_gone AFTER DELETE ON matching_document
    FOR EACH ROW EXECUTE FUNCTION matching_document_gone();
CREATE FUNCTION matching_document_emptied() RETURNS trigger AS $$
BEGIN
    INSERT INTO matching_document_gone (change_seq, id, side)
        VALUES (nextval('matching_document_change_seq'), 0, '*');
    RETURN NULL;
END
$$ LANGUAGE plpgsql;
CREATE TRIGGER matching_document_emptied AFTER TRUNCATE ON matching_document
    FOR EACH STATEMENT EXECUTE FUNCTION matching_document_emptied();
"""

BACKWARD = """
DROP TRIGGER matching_document_emptied ON matching_document;
DROP FUNCTION matching_document_emptied();
DROP TRIGGER matching_document_gone ON matching_document;
DROP FUNCTION matching_document_gone();
DROP TABLE matching_document_gone;
DROP TRIGGER matching_document_change_seq ON matching_document;
DROP FUNCTION matching_document_change_seq();
ALTER TABLE matching_document DROP COLUMN change_seq;
DROP SEQUENCE matching_document_change_seq;
"""


class Migration(migrations.Migration):
    dependencies = [("matching", "0005_matched_at")]

    operations = [migrations.RunSQL(FORWARD, BACKWARD)]
