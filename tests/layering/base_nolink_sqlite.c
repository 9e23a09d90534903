/* Layering probe (tests/layering.cmake): must NOT link against levy_base alone: base does not
 * link SQLite (the store is the domain layer's).
 * undefined: sqlite3_libversion */
#include <sqlite3.h>

int main(void) { return sqlite3_libversion()[0] == '3'; }
