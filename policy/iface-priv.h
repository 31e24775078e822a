/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Private: the parsed form of an interface file, shared by catalogue.c (which
 * builds it), model.c (attribute checks, base declaration) and compile.c
 * (grant rules). Not part of the public API. */
#pragma once

#include "catalogue.h"

#include <regex.h>
#include <stdbool.h>
#include <stddef.h>

enum pb_rule_kind { PB_RULE_PATH, PB_RULE_DEVICE, PB_RULE_SERVICE };

/* A condition on an attribute of the plug or slot of the connection. */
struct pb_cond {
        char *attr;
        json_object *value; /* NULL: "present" (the file says "*") */
        bool negate;        /* unless-… */
        bool slot_side;     /* the slot's attribute (else the plug's) */
};

struct pb_grant_rule {
        enum pb_rule_kind kind;
        char *pattern; /* path or device template; NULL for a service */
        int service;   /* enum pb_service for PB_RULE_SERVICE */
        unsigned access;
        bool recursive;
        bool slot_side; /* granted to the snap holding the slot instead of the plug */
        char *for_each; /* attribute whose value(s) replace $ATTR, or NULL */
        bool for_each_slot;
        struct pb_cond *conds;
        size_t n_conds;
        char *note;
};

enum pb_attr_type {
        PB_ATTR_ANY,
        PB_ATTR_STRING,
        PB_ATTR_STRING_LIST, /* a string or a list of strings */
        PB_ATTR_BOOL,
        PB_ATTR_INT,
};
enum pb_attr_path { PB_PATH_NONE, PB_PATH_HOME, PB_PATH_ABSOLUTE, PB_PATH_SNAP };

struct pb_attr_spec {
        char *name;
        enum pb_attr_type type;
        char **enumv;
        size_t n_enum;
        char *pattern; /* ERE source, or NULL */
        regex_t re;
        enum pb_attr_path path;
        bool required;
        bool has_min, has_max;
        long long min, max;
};

enum pb_auto_slot { PB_AUTO_ANY, PB_AUTO_SYSTEM, PB_AUTO_SAME_CONTENT };

struct pb_interface {
        char *name, *summary, *doc_url, *origin, *description;
        bool implicit_slot;
        bool auto_connect;
        enum pb_auto_slot auto_slot;
        bool plug_allow_installation;
        json_object *deny_auto_plug_attrs; /* object or NULL */
        json_object *deny_conn_plug_attrs; /* object or NULL */
        struct pb_attr_spec *plug_attrs, *slot_attrs;
        size_t n_plug_attrs, n_slot_attrs;
        char **plug_one_of; /* at least one of these plug attributes must be present */
        size_t n_plug_one_of;
        struct pb_grant_rule *rules;
        size_t n_rules;
};

/* Validate a plug's (slot=false) or slot's attributes against the interface.
 * what: "plug \"p\"" for messages. Returns 0 or -EINVAL with perr (400). */
int pb_interface_check_attrs(const struct pb_interface *iface, bool slot, const char *what,
                             json_object *attrs, struct pb_perror *perr);

/* Do attrs match every key/value of cond (an object)? A "*" value means
 * "present". NULL cond never matches. */
bool pb_attrs_match(json_object *cond, json_object *attrs);

/* The default value of the content attribute (content interface). */
const char *pb_content_attr(json_object *attrs, const char *endpoint_name);

/* A path value from a personal-files/system-files style attribute: checks
 * snapd's rules. Returns NULL when fine, else a static description. */
const char *pb_check_attr_path(const char *v, enum pb_attr_path kind);
