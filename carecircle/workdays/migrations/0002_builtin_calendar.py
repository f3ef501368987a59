from django.db import migrations


def load_builtin(apps, schema_editor):
    from carecircle.workdays.calendar import read_file

    SpecialDay = apps.get_model("workdays", "SpecialDay")
    SpecialDay.objects.bulk_create(
        [SpecialDay(date=day, kind=kind, name=name) for day, kind, name in read_file()],
        ignore_conflicts=True,
    )


class Migration(migrations.Migration):
    dependencies = [("workdays", "0001_initial")]

    operations = [migrations.RunPython(load_builtin, migrations.RunPython.noop)]
