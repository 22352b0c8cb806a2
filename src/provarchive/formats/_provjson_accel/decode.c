/*
 * The PROV-JSON reader's generated decoders (provjson_decoders.py), compiled.
 *
 * A generated decoder walks one section of orjson's output (id -> JSON object) and
 * builds the records of common shape itself, leaving every other record to the
 * reader's careful path (slow). This loop does the same from the same plan, which
 * Python spells as a tuple (provjson_decoders._accel_plan): the same checks in the
 * same order, the same hand-over to slow() wherever the generated code hands over,
 * the same callbacks for names (problem) and extra attributes (attributes). The
 * tests read documents through both and through the careful path, and compare.
 *
 * decode_records(plan, group, out, slow, known, problem, attributes, good, bundle)
 *
 *   plan    (is_relation, formal keys, formal is-time flags, defers_plans,
 *            by_type {QName text: index} or None, classes, id offset, attrs offset)
 *   classes (default class spec, then one per by_type index)
 *   class   (cls, formal offsets, slots ((offset, key, how), ...), offsets set to None,
 *            bundle offset or -1, offsets given an empty list, fixed ((offset, value), ...),
 *            skip frozenset)
 *   how     0 string, 1 identifier (string or xsd:QName object), 2 xsd:dateTime object,
 *           3 a list slot (left to slow when its key is there)
 *   out     the list the records are appended to (slow() appends its own statements)
 *
 * parse_time(text): datetime.fromisoformat(text), the usual spellings read here
 * (YYYY-MM-DDTHH:MM:SS, then .ffffff, then +00:00, -00:00 or Z), others by Python.
 */
#include "common.h"

#include <datetime.h>
#include <string.h>

enum { HOW_STR = 0, HOW_ID = 1, HOW_TIME = 2, HOW_LIST = 3 };

#define MAX_FORMAL 8
#define MAX_SLOTS 32
#define MAX_CLASSES 64
#define MAX_KNOWN 64

typedef struct {
    Py_ssize_t offset;
    PyObject *key;
    int how;
} Slot;

typedef struct {
    PyTypeObject *cls;
    Py_ssize_t formal[MAX_FORMAL];
    int n_slots;
    Slot slots[MAX_SLOTS];
    PyObject *none_offsets; /* tuples of ints, read when a record is made */
    Py_ssize_t bundle_offset;
    PyObject *list_offsets;
    PyObject *fixed;
    PyObject *skip;
} Class;

typedef struct {
    int is_relation;
    int n_formal;
    PyObject *formal_keys[MAX_FORMAL];
    int formal_time[MAX_FORMAL];
    int defers_plans;
    PyObject *by_type;
    int n_classes;
    Class classes[MAX_CLASSES];
    Py_ssize_t id_offset;
    Py_ssize_t attrs_offset;
    /* the callbacks and the names known good */
    PyObject *slow, *known, *problem, *attributes, *good, *bundle, *out;
    int n_known;
    const char *known_text[MAX_KNOWN];
    Py_ssize_t known_len[MAX_KNOWN];
} Plan;

/* module state, set by init_decode */
static PyObject *fromisoformat;  /* datetime.fromisoformat */
static PyObject *empty_tuple;
static PyObject *prov_type, *value_key, *type_key; /* "prov:type", "$", "type" */

/* ------------------------------------------------------------------ times */

static inline int
read_digits(const char *text, int width)
{
    int value = 0;
    for (int i = 0; i < width; i++) {
        if (text[i] < '0' || text[i] > '9')
            return -1;
        value = value * 10 + (text[i] - '0');
    }
    return value;
}

/* The datetime of an ASCII text in one of the usual spellings, or NULL without an
 * error when it is spelled otherwise (and NULL with ValueError when it names no time). */
static PyObject *
fast_time(const char *t, Py_ssize_t len)
{
    if (len < 19 || t[4] != '-' || t[7] != '-' || t[10] != 'T' || t[13] != ':' || t[16] != ':')
        return NULL;
    int year = read_digits(t, 4), month = read_digits(t + 5, 2), day = read_digits(t + 8, 2);
    int hour = read_digits(t + 11, 2), minute = read_digits(t + 14, 2), second = read_digits(t + 17, 2);
    if (year < 1 || month < 1 || month > 12 || day < 1 || day > 31 || hour < 0 || hour > 23 || minute < 0 ||
        minute > 59 || second < 0 || second > 59)
        return NULL; /* Python says what is wrong, or reads what this does not */
    Py_ssize_t at = 19;
    int micro = 0;
    if (at < len && t[at] == '.') {
        if (len < at + 7 || (micro = read_digits(t + at + 1, 6)) < 0)
            return NULL;
        at += 7;
    }
    PyObject *tz = Py_None;
    if (at < len) {
        if (len == at + 1 && t[at] == 'Z')
            tz = PyDateTime_TimeZone_UTC;
        else if (len == at + 6 && (t[at] == '+' || t[at] == '-') && memcmp(t + at + 1, "00:00", 5) == 0)
            tz = PyDateTime_TimeZone_UTC;
        else
            return NULL;
    }
    /* a day past the month's end: ValueError, as from fromisoformat */
    return PyDateTimeAPI->DateTime_FromDateAndTime(year, month, day, hour, minute, second, micro, tz,
                                                   PyDateTimeAPI->DateTimeType);
}

/* datetime.fromisoformat(text) for a str: a new reference, or NULL with its error */
static PyObject *
read_time(PyObject *text)
{
    if (PyUnicode_IS_ASCII(text)) {
        PyObject *time = fast_time((const char *)PyUnicode_DATA(text), PyUnicode_GET_LENGTH(text));
        if (time != NULL || PyErr_Occurred())
            return time;
    }
    return PyObject_CallOneArg(fromisoformat, text);
}

PyObject *
parse_time(PyObject *module, PyObject *text)
{
    if (!PyUnicode_Check(text)) {
        PyErr_SetString(PyExc_TypeError, "parse_time() takes a str");
        return NULL;
    }
    return read_time(text);
}

/* A time value the decoder reads: 1 with *time set (a new reference), 0 when the
 * record goes to slow (fromisoformat raised ValueError), -1 on another error. */
static int
time_value(PyObject *text, PyObject **time)
{
    *time = read_time(text);
    if (*time != NULL)
        return 1;
    if (!PyErr_ExceptionMatches(PyExc_ValueError))
        return -1;
    PyErr_Clear();
    return 0;
}

/* ------------------------------------------------------------------ names */

/* problem(name) is None: 1, 0, or -1 on error */
static int
no_problem(Plan *p, PyObject *name)
{
    PyObject *problem = PyObject_CallOneArg(p->problem, name);
    if (problem == NULL)
        return -1;
    int fine = problem == Py_None;
    Py_DECREF(problem);
    return fine;
}

/* name.startswith(known) or problem(name) is None, for a str: 1, 0, or -1 on error */
static int
resolves(Plan *p, PyObject *name)
{
    if (PyUnicode_IS_ASCII(name)) {
        const char *text = (const char *)PyUnicode_DATA(name);
        Py_ssize_t len = PyUnicode_GET_LENGTH(name);
        for (int k = 0; k < p->n_known; k++)
            if (len >= p->known_len[k] && memcmp(text, p->known_text[k], (size_t)p->known_len[k]) == 0)
                return 1;
    }
    else {
        PyObject *starts = PyObject_CallMethod(name, "startswith", "O", p->known);
        if (starts == NULL)
            return -1;
        int yes = PyObject_IsTrue(starts);
        Py_DECREF(starts);
        if (yes != 0)
            return yes;
    }
    return no_problem(p, name);
}

static inline int
starts_anonymous(PyObject *rid)
{
    return PyUnicode_GET_LENGTH(rid) >= 2 && PyUnicode_READ_CHAR(rid, 0) == '_' && PyUnicode_READ_CHAR(rid, 1) == ':';
}

/* body.get(key), None for absent: a new reference (held while callbacks run, which
 * could change body), or NULL with an error */
static inline PyObject *
get(PyObject *body, PyObject *key)
{
    PyObject *value = PyDict_GetItemWithError(body, key);
    if (value == NULL && !PyErr_Occurred())
        return Py_NewRef(Py_None);
    return Py_XNewRef(value);
}

/* The "$" of a JSON value object {"$": str, "type": type_name}, borrowed, or NULL
 * (without an error) when value is not one. */
static PyObject *
typed_text(PyObject *value, const char *type_name)
{
    if (!PyDict_CheckExact(value) || PyDict_GET_SIZE(value) != 2)
        return NULL;
    PyObject *type = PyDict_GetItemWithError(value, type_key);
    if (type == NULL || !PyUnicode_CheckExact(type) || PyUnicode_CompareWithASCIIString(type, type_name) != 0)
        return NULL;
    PyObject *text = PyDict_GetItemWithError(value, value_key);
    return text != NULL && PyUnicode_CheckExact(text) ? text : NULL;
}

/* ------------------------------------------------------------------ the plan */

static int
read_class(PyObject *tuple, Plan *p, Class *c)
{
    PyObject *cls, *formal, *slots;
    if (!PyArg_ParseTuple(tuple, "O!O!O!O!nO!O!O!", &PyType_Type, &cls, &PyTuple_Type, &formal, &PyTuple_Type,
                          &slots, &PyTuple_Type, &c->none_offsets, &c->bundle_offset, &PyTuple_Type,
                          &c->list_offsets, &PyTuple_Type, &c->fixed, &PyFrozenSet_Type, &c->skip))
        return -1;
    c->cls = (PyTypeObject *)cls;
    if (c->cls->tp_new != PyBaseObject_Type.tp_new) {
        PyErr_Format(PyExc_TypeError, "%R has a __new__ of its own", cls);
        return -1;
    }
    if (PyTuple_GET_SIZE(formal) != p->n_formal || PyTuple_GET_SIZE(slots) > MAX_SLOTS) {
        PyErr_SetString(PyExc_ValueError, "a class's formal offsets or slots do not fit the plan");
        return -1;
    }
    if (!offset_ok(cls, p->id_offset) || !offset_ok(cls, p->attrs_offset) ||
        (c->bundle_offset >= 0 && !offset_ok(cls, c->bundle_offset)))
        return -1;
    for (int i = 0; i < p->n_formal; i++) {
        c->formal[i] = PyLong_AsSsize_t(PyTuple_GET_ITEM(formal, i));
        if ((c->formal[i] == -1 && PyErr_Occurred()) || !offset_ok(cls, c->formal[i]))
            return -1;
    }
    c->n_slots = (int)PyTuple_GET_SIZE(slots);
    for (int i = 0; i < c->n_slots; i++) {
        Slot *s = &c->slots[i];
        if (!PyArg_ParseTuple(PyTuple_GET_ITEM(slots, i), "nO!i", &s->offset, &PyUnicode_Type, &s->key, &s->how))
            return -1;
        if (s->how < HOW_STR || s->how > HOW_LIST) {
            PyErr_SetString(PyExc_ValueError, "a slot's how is out of range");
            return -1;
        }
        if (s->how != HOW_LIST && !offset_ok(cls, s->offset))
            return -1;
    }
    PyObject *lists[2] = {c->none_offsets, c->list_offsets};
    for (int l = 0; l < 2; l++)
        for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(lists[l]); i++) {
            Py_ssize_t offset = PyLong_AsSsize_t(PyTuple_GET_ITEM(lists[l], i));
            if ((offset == -1 && PyErr_Occurred()) || !offset_ok(cls, offset))
                return -1;
        }
    for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(c->fixed); i++) {
        Py_ssize_t offset;
        PyObject *value;
        if (!PyArg_ParseTuple(PyTuple_GET_ITEM(c->fixed, i), "nO", &offset, &value) || !offset_ok(cls, offset))
            return -1;
    }
    return 0;
}

static int
read_plan(PyObject *tuple, Plan *p)
{
    PyObject *keys, *times, *classes;
    if (!PyArg_ParseTuple(tuple, "pO!O!pOO!nn", &p->is_relation, &PyTuple_Type, &keys, &PyTuple_Type, &times,
                          &p->defers_plans, &p->by_type, &PyTuple_Type, &classes, &p->id_offset, &p->attrs_offset))
        return -1;
    p->n_formal = (int)PyTuple_GET_SIZE(keys);
    p->n_classes = (int)PyTuple_GET_SIZE(classes);
    if (p->n_formal > MAX_FORMAL || PyTuple_GET_SIZE(times) != p->n_formal || p->n_classes < 1 ||
        p->n_classes > MAX_CLASSES || (p->by_type != Py_None && !PyDict_CheckExact(p->by_type)) ||
        (p->defers_plans && p->n_formal < 3)) {
        PyErr_SetString(PyExc_ValueError, "a plan's formal keys, classes or types do not fit together");
        return -1;
    }
    for (int i = 0; i < p->n_formal; i++) {
        p->formal_keys[i] = PyTuple_GET_ITEM(keys, i);
        if (!PyUnicode_CheckExact(p->formal_keys[i])) {
            PyErr_SetString(PyExc_TypeError, "a formal key must be a str");
            return -1;
        }
        p->formal_time[i] = PyObject_IsTrue(PyTuple_GET_ITEM(times, i));
    }
    for (int c = 0; c < p->n_classes; c++)
        if (read_class(PyTuple_GET_ITEM(classes, c), p, &p->classes[c]) < 0)
            return -1;
    /* the known "prefix:" texts that are ASCII (no ASCII name starts with another) */
    p->n_known = 0;
    for (Py_ssize_t k = 0; k < PyTuple_GET_SIZE(p->known); k++) {
        PyObject *prefix = PyTuple_GET_ITEM(p->known, k);
        if (!PyUnicode_CheckExact(prefix)) {
            PyErr_SetString(PyExc_TypeError, "known must be a tuple of str");
            return -1;
        }
        if (!PyUnicode_IS_ASCII(prefix))
            continue;
        if (p->n_known == MAX_KNOWN) { /* more than this: every name asks problem() too */
            p->n_known = 0;
            break;
        }
        p->known_text[p->n_known] = (const char *)PyUnicode_DATA(prefix);
        p->known_len[p->n_known++] = PyUnicode_GET_LENGTH(prefix);
    }
    return 0;
}

/* ------------------------------------------------------------------ one record */

/* Build the record of one (rid, body) and append it to out: 1, or 0 for slow(), or -1 */
static int
decode_one(Plan *p, PyObject *rid, PyObject *body)
{
    PyObject *formal[MAX_FORMAL] = {NULL}; /* new references (None included) */
    PyObject *values[MAX_SLOTS] = {NULL};
    PyObject *record = NULL, *ident;
    int outcome = -1, ok;
    Class *c;

    if (!PyDict_CheckExact(body) || !PyUnicode_CheckExact(rid))
        return 0;
    if (p->is_relation && starts_anonymous(rid))
        ident = Py_None;
    else {
        if ((ok = resolves(p, rid)) <= 0)
            return ok;
        ident = rid;
    }
    Py_ssize_t n = PyDict_GET_SIZE(body);
    for (int i = 0; i < p->n_formal; i++) {
        PyObject *v = formal[i] = get(body, p->formal_keys[i]);
        if (v == NULL)
            goto done;
        if (v == Py_None) {
            if (i == 0 && p->is_relation && !p->formal_time[i]) { /* a relation's subject is mandatory */
                outcome = 0;
                goto done;
            }
            continue;
        }
        if (!PyUnicode_CheckExact(v)) {
            outcome = 0;
            goto done;
        }
        if (p->formal_time[i]) {
            PyObject *time = NULL;
            if (PyUnicode_FindChar(v, 'T', 0, PyUnicode_GET_LENGTH(v), 1) < 0 || (ok = time_value(v, &time)) <= 0) {
                outcome = PyErr_Occurred() ? -1 : 0;
                goto done;
            }
            Py_SETREF(formal[i], time);
        }
        else if ((ok = resolves(p, v)) <= 0) {
            outcome = ok;
            goto done;
        }
        n--;
    }
    /* wasAssociatedWith(a, -, plan), anonymous: perhaps an activity's description */
    if (p->defers_plans && formal[1] == Py_None && formal[2] != Py_None && starts_anonymous(rid)) {
        outcome = 0;
        goto done;
    }
    int chosen = -1;
    if (p->by_type != Py_None) {
        /* no callback runs until the selector is read: borrowed references */
        PyObject *selector = PyDict_GetItemWithError(body, prov_type);
        if (selector == NULL && PyErr_Occurred())
            goto done;
        if (selector != NULL && selector != Py_None) {
            PyObject *name = typed_text(selector, "xsd:QName");
            if (name != NULL) {
                PyObject *index = PyDict_GetItemWithError(p->by_type, name);
                if (index == NULL && PyErr_Occurred())
                    goto done;
                chosen = index == NULL ? -1 : (int)PyLong_AsLong(index);
                if (chosen == -1 && PyErr_Occurred())
                    goto done;
                if (chosen < -1 || chosen + 1 >= p->n_classes) {
                    PyErr_SetString(PyExc_ValueError, "a by_type index is out of range");
                    goto done;
                }
            }
            else if (PyErr_Occurred())
                goto done;
            else if (PyDict_CheckExact(selector) || PyList_CheckExact(selector)) {
                outcome = 0;
                goto done;
            }
        }
    }
    if (chosen >= 0)
        n--;
    c = &p->classes[chosen + 1];
    for (int i = 0; i < c->n_slots; i++) {
        Slot *s = &c->slots[i];
        if (s->how == HOW_LIST) { /* its values: the careful path reads them */
            ok = PyDict_Contains(body, s->key);
            if (ok != 0) {
                outcome = ok < 0 ? -1 : 0;
                goto done;
            }
            continue;
        }
        PyObject *v = values[i] = get(body, s->key);
        if (v == NULL)
            goto done;
        if (v == Py_None)
            continue;
        if (s->how != HOW_TIME && PyUnicode_CheckExact(v)) { /* a string, or an identifier as one */
            n--;
            continue;
        }
        PyObject *text = s->how == HOW_STR ? NULL : typed_text(v, s->how == HOW_ID ? "xsd:QName" : "xsd:dateTime");
        if (text == NULL) {
            outcome = PyErr_Occurred() ? -1 : 0;
            goto done;
        }
        Py_SETREF(values[i], Py_NewRef(text)); /* the "$" text in place of its value object */
        if (s->how == HOW_ID) { /* x in good or problem(x) is None */
            ok = PySet_Contains(p->good, text);
            if (ok == 0)
                ok = no_problem(p, text);
            if (ok <= 0) {
                outcome = ok;
                goto done;
            }
        }
        else {
            PyObject *time = NULL;
            if (PyUnicode_FindChar(text, 'T', 0, PyUnicode_GET_LENGTH(text), 1) < 0 ||
                (ok = time_value(text, &time)) <= 0) {
                outcome = PyErr_Occurred() ? -1 : 0;
                goto done;
            }
            Py_SETREF(values[i], time);
        }
        n--;
    }
    /* keys left over are attributes, unless one is a JSON null, which may be a key read
     * as absent above: the careful path says what is wrong with it */
    if (n) {
        Py_ssize_t pos = 0;
        PyObject *key, *value;
        while (PyDict_Next(body, &pos, &key, &value))
            if (value == Py_None) {
                outcome = 0;
                goto done;
            }
    }

    record = c->cls->tp_new(c->cls, empty_tuple, NULL);
    if (record == NULL)
        goto done;
    for (int i = 0; i < p->n_formal; i++) {
        set_slot(record, c->formal[i], formal[i]);
        formal[i] = NULL;
    }
    for (int i = 0; i < c->n_slots; i++)
        if (c->slots[i].how != HOW_LIST) {
            set_slot(record, c->slots[i].offset, values[i]);
            values[i] = NULL;
        }
    for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(c->none_offsets); i++)
        set_slot(record, PyLong_AsSsize_t(PyTuple_GET_ITEM(c->none_offsets, i)), Py_NewRef(Py_None));
    if (c->bundle_offset >= 0)
        set_slot(record, c->bundle_offset, Py_NewRef(p->bundle));
    for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(c->list_offsets); i++) {
        PyObject *list = PyList_New(0);
        if (list == NULL)
            goto done;
        set_slot(record, PyLong_AsSsize_t(PyTuple_GET_ITEM(c->list_offsets, i)), list);
    }
    for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(c->fixed); i++) {
        PyObject *pair = PyTuple_GET_ITEM(c->fixed, i);
        set_slot(record, PyLong_AsSsize_t(PyTuple_GET_ITEM(pair, 0)), Py_NewRef(PyTuple_GET_ITEM(pair, 1)));
    }
    set_slot(record, p->id_offset, Py_NewRef(ident));
    /* attributes(body, rid, skip) or () if n else () */
    PyObject *attributes = NULL;
    if (n) {
        attributes = PyObject_CallFunctionObjArgs(p->attributes, body, rid, c->skip, NULL);
        if (attributes == NULL)
            goto done;
        ok = PyObject_IsTrue(attributes);
        if (ok <= 0)
            Py_CLEAR(attributes);
        if (ok < 0)
            goto done;
    }
    set_slot(record, p->attrs_offset, attributes != NULL ? attributes : Py_NewRef(empty_tuple));
    if (PyList_Append(p->out, record) < 0)
        goto done;
    outcome = 1;
done:
    for (int i = 0; i < MAX_FORMAL; i++)
        Py_XDECREF(formal[i]);
    for (int i = 0; i < MAX_SLOTS; i++)
        Py_XDECREF(values[i]);
    Py_XDECREF(record);
    return outcome;
}

PyObject *
decode_records(PyObject *module, PyObject *args)
{
    PyObject *plan_tuple, *group;
    Plan *p = PyMem_Calloc(1, sizeof(Plan));
    if (p == NULL)
        return PyErr_NoMemory();
    PyObject *result = NULL;
    if (!PyArg_ParseTuple(args, "O!O!O!OO!OOO!O", &PyTuple_Type, &plan_tuple, &PyDict_Type, &group, &PyList_Type,
                          &p->out, &p->slow, &PyTuple_Type, &p->known, &p->problem, &p->attributes, &PySet_Type,
                          &p->good, &p->bundle) ||
        read_plan(plan_tuple, p) < 0)
        goto done;
    /* the items are held while a callback runs (one could change the section) */
    Py_ssize_t pos = 0;
    PyObject *rid, *body;
    while (PyDict_Next(group, &pos, &rid, &body)) {
        Py_INCREF(rid);
        Py_INCREF(body);
        int outcome = decode_one(p, rid, body);
        if (outcome == 0) {
            PyObject *got = PyObject_CallFunctionObjArgs(p->slow, rid, body, NULL);
            outcome = got == NULL ? -1 : 1;
            Py_XDECREF(got);
        }
        Py_DECREF(rid);
        Py_DECREF(body);
        if (outcome < 0)
            goto done;
    }
    result = Py_NewRef(Py_None);
done:
    PyMem_Free(p);
    return result;
}

int
init_decode(void)
{
    PyDateTime_IMPORT;
    if (PyDateTimeAPI == NULL)
        return -1;
    fromisoformat = PyObject_GetAttrString((PyObject *)PyDateTimeAPI->DateTimeType, "fromisoformat");
    empty_tuple = PyTuple_New(0);
    prov_type = PyUnicode_InternFromString("prov:type");
    value_key = PyUnicode_InternFromString("$");
    type_key = PyUnicode_InternFromString("type");
    if (fromisoformat == NULL || empty_tuple == NULL || prov_type == NULL || value_key == NULL || type_key == NULL)
        return -1;
    return 0;
}
