--
-- import: IMPORT FOREIGN SCHEMA ecs, with LIMIT TO and EXCEPT
--
CREATE SCHEMA ecs;
IMPORT FOREIGN SCHEMA ecs FROM SERVER emu INTO ecs;
\det+ ecs.*
\d ecs.images
\d ecs.regions

-- LIMIT TO and EXCEPT
CREATE SCHEMA only_regions;
IMPORT FOREIGN SCHEMA ecs LIMIT TO (regions) FROM SERVER emu INTO only_regions;
CREATE SCHEMA no_regions;
IMPORT FOREIGN SCHEMA ecs EXCEPT (regions) FROM SERVER emu INTO no_regions;
SELECT foreign_table_schema, foreign_table_name
  FROM information_schema.foreign_tables
 WHERE foreign_table_schema IN ('only_regions', 'no_regions')
 ORDER BY 1, 2;
DROP SCHEMA only_regions, no_regions CASCADE;

-- there is no other remote schema
CREATE SCHEMA elsewhere;
IMPORT FOREIGN SCHEMA public FROM SERVER emu INTO elsewhere;
DROP SCHEMA elsewhere;
