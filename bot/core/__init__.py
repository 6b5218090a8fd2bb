"""The pure core: content model, engine, rendering, i18n, secret detection. No I/O, no clock."""
