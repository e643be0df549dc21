from django.db import migrations


def forwards(apps, schema_editor):
    from catalog.seed import load_categories

    load_categories(apps.get_model("catalog", "Category"))


class Migration(migrations.Migration):
    dependencies = [("catalog", "0003_category_product")]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
