-- supportgate's PostgreSQL layout: run once, as a superuser, connected to the database
-- supportgate will use, after creating the two login roles:
--
--   CREATE ROLE supportgate_main LOGIN PASSWORD '...';
--   CREATE ROLE supportgate_contact LOGIN PASSWORD '...';
--
-- then, with psql: psql -v main_role=supportgate_main -v contact_role=supportgate_contact \
--                       -v database=supportgate -f layout.sql
--
-- Contact data and customer data live in separate schemas owned by separate roles. The
-- gateway connects to each store as its owning role, so the connection that serves case
-- data has no privilege at all on contact tables (and the other way round).
REVOKE ALL ON DATABASE :database FROM PUBLIC;
GRANT CONNECT ON DATABASE :database TO :main_role, :contact_role;
REVOKE ALL ON SCHEMA public FROM PUBLIC;
CREATE SCHEMA supportgate AUTHORIZATION :main_role;
CREATE SCHEMA supportgate_contact AUTHORIZATION :contact_role;
REVOKE ALL ON SCHEMA supportgate FROM PUBLIC;
REVOKE ALL ON SCHEMA supportgate_contact FROM PUBLIC;
