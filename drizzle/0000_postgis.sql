-- Geometry columns and GiST indexes in every later migration need PostGIS, on both engines.
CREATE EXTENSION IF NOT EXISTS postgis;
