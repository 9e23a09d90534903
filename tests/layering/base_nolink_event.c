/* Layering probe (tests/layering.cmake): must NOT link against levy_base alone: base does not
 * link libevent (the loop belongs to the layers above).
 * undefined: event_base_new */
#include <event2/event.h>

int main(void)
{
    struct event_base *b = event_base_new();
    return b != NULL;
}
