"""The sanctuary: symphony playing unattended, with visitors joining from their phones."""
