"""Rule version 1: the national definitions with the common local defaults.

Thresholds follow DOMAIN.md §1.2-1.6 and §9.2 (6 months, cross-county work, under
16 for left-behind and migrant children, A/B/C buckets). The local values to
confirm before go-live are listed in DOMAIN.md §9.7; a district administrator
changes them by adding version 2 on the rules page, never by editing this one.
"""

from datetime import date

from django.db import migrations

SUBTYPES = [
    {"code": "dibao", "name": "低保家庭儿童", "bucket": "A", "when": "household_dibao"},
    {"code": "tekun", "name": "特困供养儿童", "bucket": "A", "when": "household_tekun"},
    {
        "code": "severe_disability",
        "name": "重残儿童",
        "bucket": "B",
        "when": "child_severely_disabled",
    },
    {"code": "serious_illness", "name": "重病儿童", "bucket": "B", "when": "child_seriously_ill"},
    {
        "code": "de_facto_unsupported",
        "name": "事实无人抚养儿童",
        "bucket": "C",
        "when": "de_facto_unsupported",
    },
    {
        "code": "guardianship",
        "name": "监护缺失或监护不当儿童",
        "bucket": "",
        "when": "guardianship_concern",
    },
]


def create_version_1(apps, schema_editor):
    CategoryRuleSet = apps.get_model("people", "CategoryRuleSet")
    if CategoryRuleSet.objects.filter(version=1).exists():
        return
    CategoryRuleSet.objects.create(
        version=1,
        # 国发〔2016〕13号 and 36号: the definitions this version implements.
        effective_from=date(2016, 2, 4),
        left_behind_age_limit=16,
        left_behind_cutoff=None,
        left_behind_min_months=6,
        left_behind_cross_county=True,
        migrant_age_limit=16,
        migrant_min_months=6,
        incapacity_min_months=6,
        out_of_contact_min_months=6,
        age_out_notice_days=30,
        difficulty_subtypes=SUBTYPES,
        note=(
            "国发〔2016〕13号、国发〔2016〕36号、民发〔2019〕62号、2024年《加强流动儿童关爱保护"
            "行动方案》；外出务工时长、跨县域要求和本地困境儿童子类待本地确认。"
        ),
    )


def delete_version_1(apps, schema_editor):
    CategoryRuleSet = apps.get_model("people", "CategoryRuleSet")
    CategoryMembership = apps.get_model("people", "CategoryMembership")
    if not CategoryMembership.objects.filter(rule_version=1).exists():
        CategoryRuleSet.objects.filter(version=1).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("people", "0003_registry"),
    ]

    operations = [
        migrations.RunPython(create_version_1, delete_version_1),
    ]
