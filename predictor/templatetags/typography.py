from django import template
from django.utils.html import conditional_escape
from django.utils.safestring import mark_safe

from predictor import typography

register = template.Library()


@register.filter
def typeset(text):
    """Display text with true minus signs and units that stay with their numbers."""
    return mark_safe(typography.typeset(str(conditional_escape(text))))
