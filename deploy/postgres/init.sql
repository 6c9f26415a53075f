-- One database per service: each context is the only writer of its own store of record,
-- and the gateway has none. Runs once, when the PostgreSQL volume is first initialised,
-- as POSTGRES_USER, who owns the three databases; each service's Alembic migrations
-- (`zhiyuan migrate`, the compose `migrate` service) create the tables.
CREATE DATABASE zhiyuan_registry;
CREATE DATABASE zhiyuan_activities;
CREATE DATABASE zhiyuan_recognition;
