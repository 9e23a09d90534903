-- Placeholder so that 0005_scope.sql applies on the h-scope branch alone (core/store/migrate.c
-- refuses gaps). DELETE THIS FILE when merging with the branch that brings the real 0004.
SELECT 1;
