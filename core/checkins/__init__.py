"""Check-ins: cadences, agendas, shared and private notes, action items, adherence."""
