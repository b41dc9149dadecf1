// Placeholder until its author fills it in (this session).
