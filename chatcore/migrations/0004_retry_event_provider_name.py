"""Retry events name the configured provider: room for its name, and old rows filled in.

Before, the runner stored the classifier's vendor id (``openai``, ``anthropic``)
and nothing at all for the demo's fake provider, so the admin showed "-" and its
provider filter was empty. Every existing row now takes the name of its chat's
provider (a chat's provider never changes, so that is the provider it retried
on). Backward, the names stay: they fit the old column only if short, so longer
ones are cut to 64 characters before the column shrinks.
"""

from django.db import migrations, models
from django.db.models import OuterRef, Subquery
from django.db.models.functions import Left


def fill_from_chat(apps, schema_editor):
    ChatRetryEvent = apps.get_model("chatcore", "ChatRetryEvent")
    Chat = apps.get_model("chatcore", "Chat")
    name = Chat.objects.filter(pk=OuterRef("chat_id")).values("provider__name")[:1]
    events = ChatRetryEvent.objects.using(schema_editor.connection.alias)
    events.update(provider=Subquery(name))


def cut_to_old_length(apps, schema_editor):
    ChatRetryEvent = apps.get_model("chatcore", "ChatRetryEvent")
    events = ChatRetryEvent.objects.using(schema_editor.connection.alias)
    events.update(provider=Left("provider", 64))


class Migration(migrations.Migration):
    dependencies = [
        ("chatcore", "0003_message_versions"),
    ]

    operations = [
        migrations.AlterField(
            model_name="chatretryevent",
            name="provider",
            field=models.CharField(blank=True, max_length=100),
        ),
        migrations.RunPython(fill_from_chat, cut_to_old_length),
    ]
