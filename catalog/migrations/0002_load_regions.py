from django.db import migrations


def forwards(apps, schema_editor):
    from catalog.seed import load_regions

    load_regions(apps.get_model("catalog", "Region"))


class Migration(migrations.Migration):
    dependencies = [("catalog", "0001_initial")]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
