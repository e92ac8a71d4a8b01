"""Convert `Chat.last_error` in place from legacy text to JSON (JSONB on PostgreSQL).

Forward, in one transaction: a set-based UPDATE rewrites every legacy text into
the JSON text `{"message": <text>, "kind": "generic"}` (empty or space-only text
becomes NULL, NULL stays NULL), then the column type changes to JSON; every
value is valid JSON by then, so PostgreSQL's `USING last_error::jsonb` and
SQLite's JSON_VALID check accept all rows.

Backward: the column becomes text again (holding the JSON text), then a
set-based UPDATE keeps only each object's `message`. Values that are not an
object with a message (written by hand, say) are kept as their JSON text
rather than lost.
"""

import json

from django.db import migrations, models
from django.db.models import Q, Value
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Cast, JSONObject, Trim


def legacy_text_to_json(apps, schema_editor):
    Chat = apps.get_model("chatcore", "Chat")
    rows = Chat.objects.using(schema_editor.connection.alias)
    rows.annotate(trimmed=Trim("last_error")).filter(trimmed="").update(last_error=None)
    rows.filter(last_error__isnull=False).update(
        last_error=Cast(
            JSONObject(message="last_error", kind=Value("generic")),
            output_field=models.TextField(),
        )
    )


def json_to_legacy_text(apps, schema_editor):
    Chat = apps.get_model("chatcore", "Chat")
    rows = Chat.objects.using(schema_editor.connection.alias).filter(last_error__isnull=False)
    as_json = Cast("last_error", output_field=models.JSONField())
    message = KeyTextTransform("message", as_json)
    # Rows without a message (hand-written values) are few: decide them in Python
    # before the bulk update rewrites the column under them.
    no_message = Q(value__message__isnull=True) | Q(value__message=None)
    odd = {
        pk: _message_of(text)
        for pk, text in rows.annotate(value=as_json)
        .filter(no_message)
        .values_list("pk", "last_error")
    }
    rows.exclude(pk__in=odd).update(last_error=message)
    for pk, text in odd.items():
        rows.filter(pk=pk).update(last_error=text)


def _message_of(text):
    """The legacy text for a JSON value with no `message`: a bare string, else the JSON."""
    try:
        value = json.loads(text)
    except (TypeError, ValueError):
        return text
    if value is None:
        return None
    return value if isinstance(value, str) else text


class Migration(migrations.Migration):
    dependencies = [
        ("chatcore", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(legacy_text_to_json, json_to_legacy_text),
        migrations.AlterField(
            model_name="chat",
            name="last_error",
            field=models.JSONField(blank=True, null=True),
        ),
    ]
