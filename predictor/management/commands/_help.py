"""--help with examples shown as written: Django's layout, example lines kept, prose wrapped."""
from django.core.management.base import DjangoHelpFormatter


class ExamplesHelpFormatter(DjangoHelpFormatter):
    """Wraps prose as usual but keeps indented lines (the examples) exactly as written."""

    def _fill_text(self, text, width, indent):
        fill = super()._fill_text
        return "\n".join(line if line.startswith("  ") or not line.strip() else fill(line, width, indent)
                         for line in text.splitlines())


def with_examples(parser, examples: str) -> None:
    parser.formatter_class = ExamplesHelpFormatter
    parser.epilog = "examples:\n" + examples.strip("\n")
