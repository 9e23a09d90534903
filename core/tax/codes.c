/* The product tax codes (issue 19, "Product taxonomy"): the one list levy has. GET
 * /v1/tax-codes (plugins/api/handler.lua through tax.tax_codes()), the web catalog's picker
 * (web/js/catalog.js, grouped by parent), the Rillet mapping's check of a product's code and
 * the table in docs/rules.md section 2a (tests/e2e/reliab/taxonomy.py compares it) all read it.
 *
 * The ten codes of CONTRACT section 2.4 are the roots (parent NULL) and answer exactly as
 * before. Every other code names one of them as its parent: the code a product used before
 * the taxonomy (the mapping from the old codes), and the row a region's rule falls back to
 * when it has no row of its own for the code. That fallback is never silent: the answer
 * carries the note taxability_fallback (core/tax/calc.c). Order: the roots first, in their
 * old order, then the children grouped by parent. */
#include "tax/calc.h"

#include <string.h>

const levy_tax_code_info levy_tax_codes[] = {
    /* the roots: CONTRACT section 2.4 */
    {"general", "General tangible goods", "Tangible personal property; the default code", NULL},
    {"saas", "Software as a service", "Remotely accessed prewritten software (subscriptions)",
     NULL},
    {"software_download", "Downloaded software", "Prewritten software delivered electronically",
     NULL},
    {"digital_goods", "Digital goods", "E-books, music, video and other digital products", NULL},
    {"professional_services", "Professional services",
     "Consulting, legal, accounting and similar personal services", NULL},
    {"training", "Training", "Training and education services, live or online", NULL},
    {"shipping", "Shipping", "Delivery and freight charges billed to the customer", NULL},
    {"clothing", "Clothing", "Clothing and footwear", NULL},
    {"food_grocery", "Groceries", "Food for home consumption", NULL},
    {"exempt", "Exempt", "Non-taxable item (no tax in any region)", NULL},
    /* general */
    {"hardware", "Computer hardware",
     "Computers, servers, peripherals and other equipment sold as tangible goods", "general"},
    {"prewritten_software_tangible", "Prewritten software on a physical medium",
     "Canned (off-the-shelf) software delivered on a disk, drive or other tangible medium",
     "general"},
    {"print_publication_subscription", "Printed newspaper or magazine subscription",
     "A subscription to a printed newspaper or periodical delivered to the customer", "general"},
    {"jewelry", "Jewelry", "Jewelry, real or imitation (watches: clothing_accessories)", "general"},
    /* saas */
    {"saas_business", "SaaS, business use",
     "Remotely accessed prewritten software bought for use in the customer's business (B2B)",
     "saas"},
    {"saas_personal", "SaaS, personal use",
     "Remotely accessed prewritten software bought for personal use (B2C)", "saas"},
    {"iaas_paas", "Infrastructure or platform as a service",
     "Remote computing capacity, storage, hosting or a development platform (IaaS, PaaS)", "saas"},
    /* software_download */
    {"custom_software", "Custom software",
     "Software written for one customer (not prewritten), however delivered", "software_download"},
    {"software_maintenance_mandatory", "Software maintenance, mandatory",
     "Maintenance (updates and support) the buyer must purchase with prewritten software",
     "software_download"},
    {"software_maintenance_optional", "Software maintenance, optional",
     "An optional maintenance contract for prewritten software: updates and support",
     "software_download"},
    /* digital_goods */
    {"digital_audio", "Digital audio (download)",
     "Music, audiobooks and other digital audio works transferred electronically with a "
     "permanent right of use",
     "digital_goods"},
    {"digital_video", "Digital video (download)",
     "Films, shows and other digital audio-visual works transferred electronically with a "
     "permanent right of use",
     "digital_goods"},
    {"digital_books", "Digital books (download)", "E-books transferred electronically",
     "digital_goods"},
    {"streaming_audio", "Audio streaming",
     "Music or audio streamed, or a right of use that is not permanent (subscriptions)",
     "digital_goods"},
    {"streaming_video", "Video streaming",
     "Video streamed, or a right of use that is not permanent (subscriptions)", "digital_goods"},
    {"digital_publication_subscription", "Digital newspaper or magazine subscription",
     "A subscription to a newspaper or periodical delivered electronically", "digital_goods"},
    /* professional_services */
    {"data_processing", "Data processing services",
     "Processing, storing or retrieving the customer's data by computer (not software access)",
     "professional_services"},
    {"information_services", "Information services",
     "Collecting, compiling or analysing information and furnishing it (reports, databases, "
     "research access)",
     "professional_services"},
    {"custom_programming", "Custom programming",
     "Writing or modifying software for one customer, billed as a service",
     "professional_services"},
    {"it_consulting", "IT consulting",
     "Computer systems design, analysis and technology consulting", "professional_services"},
    {"it_support", "IT support",
     "Help desk and technical support not sold as part of a software maintenance contract",
     "professional_services"},
    {"website_development", "Website development",
     "Designing and building a website for one customer", "professional_services"},
    {"advertising_services", "Advertising services",
     "Creating, placing or displaying advertising, online or offline", "professional_services"},
    {"installation", "Installation",
     "Installing or setting up tangible goods or software, separately stated",
     "professional_services"},
    {"repair_services", "Repair services",
     "Repairing or maintaining tangible goods (labour, separately stated)",
     "professional_services"},
    {"temporary_staffing", "Temporary staffing", "Supplying temporary workers to a customer",
     "professional_services"},
    /* training */
    {"online_course_live", "Online course, live",
     "Instruction delivered in real time over the internet (webinars, virtual classes)",
     "training"},
    {"online_course_recorded", "Online course, recorded",
     "Prerecorded instruction accessed electronically, without a live instructor", "training"},
    {"training_in_person", "Training, in person",
     "Instruction, seminars and workshops given in person", "training"},
    /* shipping */
    {"shipping_handling", "Shipping and handling",
     "One charge for delivery together with handling, crating or packing", "shipping"},
    /* clothing */
    {"clothing_accessories", "Clothing accessories",
     "Handbags, luggage, umbrellas, wallets, watches and similar accessories (not clothing in "
     "most clothing exemptions; jewelry: its own code)",
     "clothing"},
    /* food_grocery */
    {"prepared_food", "Prepared food",
     "Food sold heated, mixed or with eating utensils (not groceries)", "food_grocery"},
    /* exempt */
    {"gift_card", "Gift card",
     "A multi-purpose gift card or voucher: tax applies when it is redeemed, not when sold",
     "exempt"},
    {"finance_charge", "Finance or late charge",
     "Interest, late-payment and financing charges billed separately", "exempt"},
};
const int levy_tax_ncodes = (int)LEVY_ARRAY_LEN(levy_tax_codes);
_Static_assert(LEVY_ARRAY_LEN(levy_tax_codes) <= LEVY_TAX_MAX_CODES,
               "levy_tax_decision.fallback holds one bit per code");

int levy_tax_code_index(const char *c)
{
    /* the first byte before strcmp (issue 21: once per line of every answer; "food_grocery"
     * was 9 calls of strcmp) */
    for (int i = 0; c && i < levy_tax_ncodes; i++)
        if (levy_tax_codes[i].code[0] == c[0] && strcmp(levy_tax_codes[i].code, c) == 0)
            return i;
    return -1;
}

int levy_tax_code_builtin(const char *c) { return levy_tax_code_index(c) >= 0; }

const char *levy_tax_code_parent(const char *c)
{
    int i = levy_tax_code_index(c);
    return i >= 0 ? levy_tax_codes[i].parent : NULL;
}

const char *levy_tax_code_root(const char *c)
{
    const char *p = levy_tax_code_parent(c);
    return p ? p : c;
}
