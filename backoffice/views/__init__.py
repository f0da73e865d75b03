"""The agents' and supervisors' pages, one module per area: the staff accounts
(``staff``), an agent's correction of an identity (``identity``), the audit
trail's search (``audit``)."""
