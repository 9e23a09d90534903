/* Layering probe (tests/layering.cmake): links against levy_base alone (base needs nothing
 * from the layers above). */
#include "config.h"
#include "levy.h"
#include "log.h"
#include "money.h"

int main(void)
{
    levy_err e;
    levy_err_clear(&e);
    return levy_auth_token_rule("x", 1) == NULL;
}
