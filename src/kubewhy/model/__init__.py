"""The one model every stage speaks: entities, evidence, facts, log hits and the diagnosis."""
