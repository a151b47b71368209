"""The engine's version, recorded in every report so a verdict can be reproduced."""

ENGINE_VERSION = "0.1.0"
