"""The queries behind the services, one module per table group: services state rules, these
modules read and write rows. Each imports sqlmodel and the tables only inside its methods, so a
service module (and a front end importing one) stays quick to import."""
