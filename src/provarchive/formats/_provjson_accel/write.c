/*
 * The PROV-JSON text writer's record loop (provjson_write._ContainerWriter), compiled.
 *
 * The pure-Python writer generates one function per container that writes each
 * record's statement as text; at 100k records that loop is most of the writing time,
 * about 0.9 us of interpreted code per record. This runs the same loop from the same
 * plans, which Python turns into one "spec" per record class (provjson_write._fields).
 * It writes only what it can write exactly (exact str values without '"', datetimes
 * that are naive or in UTC, constants, empty lists) and hands every other record,
 * whole, to Python's careful path, in its place, so the bytes are the reference's
 * (tests/formats/test_provjson_write.py compares both writers with the reference,
 * byte for byte, with this module and without it). The search over the whole output
 * for backslashes and control characters (unexpected_escapes, below) still applies
 * to what this loop writes.
 *
 * write_records(records, specs, n_kinds, plans_kind, slow, extras, associate,
 *               id_offset, attrs_offset, n)
 *     -> (n, vp_written, texts, before_plans)
 *
 *   specs       {class: spec}; a record of another class goes to slow()
 *   spec        (kind index, named list, fields, taken frozenset, description offset or -1)
 *   field       (slot offset, head bytes '"key":', how, guard, constant bytes or None, is_vp)
 *   slow(r, n)          -> (n, kind index, str): a record Python writes (its own statement)
 *   extras(attrs, taken) -> str or None: the text of several extra attributes (None,
 *                        given before it encodes anything: slow)
 *   associate(r, n)     -> (n, str): an activity's plan association, into plans_kind
 *   texts        one bytes per kind, each statement preceded by a comma
 *   before_plans which kinds had text when the first association was written while
 *                its kind had none (the association then made its kind), or None
 *
 * count_types(records) -> {type: count}, types in the order they first come
 * unexpected_escapes(data, escapes) -> bool: a control character, or more backslashes
 *                                      than escapes, in data
 */
#include "common.h"

#include <datetime.h>
#include <stdint.h>
#include <string.h>

/* how a field's value is written (provjson_write._HOW gives the same numbers) */
enum { HOW_STR = 0, HOW_TIME = 1, HOW_TIMEOBJ = 2, HOW_QNAME = 3, HOW_CONST = 4, HOW_LIST = 5 };
/* when a field is written */
enum { GUARD_ALWAYS = 0, GUARD_NOT_NONE = 1, GUARD_TRUTHY = 2 };

#define MAX_KINDS 64
#define MAX_FIELDS 32
#define MAX_CLASSES 64
/* the longest datetime text: YYYY-MM-DDTHH:MM:SS.ffffff+00:00 */
#define TIME_TEXT 32

typedef struct {
    Py_ssize_t offset;
    const char *head;
    Py_ssize_t head_len;
    int how;
    int guard;
    const char *constant;
    Py_ssize_t constant_len;
    int is_vp;
} Field;

typedef struct {
    PyTypeObject *cls;
    int kind;
    PyObject *named; /* list: named ids filed in this class's kind */
    PyObject *taken; /* frozenset of the keys the plan writes */
    Py_ssize_t description_offset;
    int n_fields;
    Field fields[MAX_FIELDS];
} Spec;

/* A growing text held in a bytes object from the start, so that handing it to
 * Python at the end is a resize, not a copy of megabytes into new pages. */
typedef struct {
    PyObject *bytes; /* NULL until something is written */
    Py_ssize_t len;
    Py_ssize_t cap;
} Buffer;

static int
grow(Buffer *b, Py_ssize_t more)
{
    if (b->len + more <= b->cap)
        return 0;
    Py_ssize_t cap = b->cap ? b->cap : 4096;
    while (cap < b->len + more)
        cap *= 2;
    if (b->bytes == NULL) {
        b->bytes = PyBytes_FromStringAndSize(NULL, cap);
        if (b->bytes == NULL)
            return -1;
    }
    else if (_PyBytes_Resize(&b->bytes, cap) < 0) {
        b->bytes = NULL; /* freed by _PyBytes_Resize */
        return -1;
    }
    b->cap = cap;
    return 0;
}

static inline int
put(Buffer *b, const char *text, Py_ssize_t len)
{
    if (grow(b, len) < 0)
        return -1;
    memcpy(PyBytes_AS_STRING(b->bytes) + b->len, text, (size_t)len);
    b->len += len;
    return 0;
}

#define PUT_LITERAL(b, s) put((b), (s), (Py_ssize_t)(sizeof(s) - 1))

/* The buffer's text as a bytes object of its own length (a new reference; the buffer
 * is left empty), or NULL with an error. */
static PyObject *
take_bytes(Buffer *b)
{
    PyObject *bytes = b->bytes;
    b->bytes = NULL;
    if (bytes == NULL)
        return PyBytes_FromStringAndSize("", 0);
    if (_PyBytes_Resize(&bytes, b->len) < 0)
        return NULL;
    return bytes;
}

static void
free_buffer(Buffer *b)
{
    Py_CLEAR(b->bytes);
}

/* The UTF-8 of an exact str holding no '"' (written as it is), or NULL without an
 * error set when the value is not one. */
static const char *
plain_utf8(PyObject *value, Py_ssize_t *len)
{
    if (!PyUnicode_CheckExact(value))
        return NULL;
    const char *utf8 = PyUnicode_AsUTF8AndSize(value, len);
    if (utf8 == NULL) {
        PyErr_Clear(); /* lone surrogates: Python's path raises the error */
        return NULL;
    }
    if (memchr(utf8, '"', (size_t)*len) != NULL)
        return NULL;
    return utf8;
}

/* the decimal digits of 0 <= value < 10**width, zero-padded to width, at out */
static inline void
digits(char *out, int value, int width)
{
    for (int i = width - 1; i >= 0; i--) {
        out[i] = (char)('0' + value % 10);
        value /= 10;
    }
}

/* A datetime as orjson writes it (without quotes), into out (TIME_TEXT bytes): its
 * length, or -1 for one this module leaves to Python (a subclass, or a time zone
 * other than UTC). */
static Py_ssize_t
format_time(PyObject *value, char *out)
{
    if (!PyDateTime_CheckExact(value))
        return -1;
    PyObject *tz = PyDateTime_DATE_GET_TZINFO(value);
    if (tz != Py_None && tz != PyDateTime_TimeZone_UTC)
        return -1;
    /* YYYY-MM-DDTHH:MM:SS */
    digits(out, PyDateTime_GET_YEAR(value), 4);
    out[4] = '-';
    digits(out + 5, PyDateTime_GET_MONTH(value), 2);
    out[7] = '-';
    digits(out + 8, PyDateTime_GET_DAY(value), 2);
    out[10] = 'T';
    digits(out + 11, PyDateTime_DATE_GET_HOUR(value), 2);
    out[13] = ':';
    digits(out + 14, PyDateTime_DATE_GET_MINUTE(value), 2);
    out[16] = ':';
    digits(out + 17, PyDateTime_DATE_GET_SECOND(value), 2);
    Py_ssize_t len = 19;
    int micro = PyDateTime_DATE_GET_MICROSECOND(value);
    if (micro) {
        out[len] = '.';
        digits(out + len + 1, micro, 6);
        len += 7;
    }
    if (tz != Py_None) {
        memcpy(out + len, "+00:00", 6);
        len += 6;
    }
    return len;
}

/* ,"_:idN":{ for the N-th statement without an id, into out (>= 32 bytes): its length */
static Py_ssize_t
format_anonymous(Py_ssize_t number, char *out)
{
    char reversed[24];
    int count = 0;
    size_t rest = (size_t)number;
    do {
        reversed[count++] = (char)('0' + rest % 10);
        rest /= 10;
    } while (rest);
    memcpy(out, ",\"_:id", 6);
    for (int i = 0; i < count; i++)
        out[6 + i] = reversed[count - 1 - i];
    memcpy(out + 6 + count, "\":{", 3);
    return 6 + count + 3;
}

/* Fill one Spec from its Python tuple; 0, or -1 with an error. */
static int
read_spec(PyObject *cls, PyObject *tuple, int n_kinds, Py_ssize_t id_offset, Py_ssize_t attrs_offset, Spec *spec)
{
    PyObject *fields;
    if (!PyType_Check(cls) || !PyTuple_Check(tuple) ||
        !PyArg_ParseTuple(tuple, "iO!O!O!n", &spec->kind, &PyList_Type, &spec->named, &PyTuple_Type, &fields,
                          &PyFrozenSet_Type, &spec->taken, &spec->description_offset)) {
        if (!PyErr_Occurred())
            PyErr_SetString(PyExc_TypeError, "a spec is (kind, named, fields, taken, description offset)");
        return -1;
    }
    if (spec->kind < 0 || spec->kind >= n_kinds || PyTuple_GET_SIZE(fields) > MAX_FIELDS) {
        PyErr_SetString(PyExc_ValueError, "a spec's kind or number of fields is out of range");
        return -1;
    }
    if (!offset_ok(cls, id_offset) || !offset_ok(cls, attrs_offset) ||
        (spec->description_offset >= 0 && !offset_ok(cls, spec->description_offset)))
        return -1;
    spec->cls = (PyTypeObject *)cls;
    spec->n_fields = (int)PyTuple_GET_SIZE(fields);
    for (int i = 0; i < spec->n_fields; i++) {
        Field *f = &spec->fields[i];
        PyObject *head, *constant;
        if (!PyArg_ParseTuple(PyTuple_GET_ITEM(fields, i), "nO!iiOp", &f->offset, &PyBytes_Type, &head, &f->how,
                              &f->guard, &constant, &f->is_vp))
            return -1;
        if (f->how < HOW_STR || f->how > HOW_LIST || f->guard < GUARD_ALWAYS || f->guard > GUARD_TRUTHY) {
            PyErr_SetString(PyExc_ValueError, "a field's how or guard is out of range");
            return -1;
        }
        if (f->how != HOW_CONST && !offset_ok(cls, f->offset))
            return -1;
        f->head = PyBytes_AS_STRING(head);
        f->head_len = PyBytes_GET_SIZE(head);
        f->constant = NULL;
        f->constant_len = 0;
        if (f->how == HOW_CONST) {
            if (!PyBytes_Check(constant)) {
                PyErr_SetString(PyExc_TypeError, "a constant field needs its text as bytes");
                return -1;
            }
            f->constant = PyBytes_AS_STRING(constant);
            f->constant_len = PyBytes_GET_SIZE(constant);
        }
    }
    return 0;
}

/* The extra attributes of a record: either one plain pair written here (*x_utf8 and
 * *v_utf8 set), or extras()'s text (*tail_text, a new reference), or neither when it
 * has none. 1 to go on, 0 when Python must write the record, -1 on error. */
static int
read_extras(PyObject *attrs, Spec *spec, PyObject *extras, const char **x_utf8, Py_ssize_t *x_len,
            const char **v_utf8, Py_ssize_t *v_len, PyObject **tail_text)
{
    Py_ssize_t n_attrs = PyTuple_Check(attrs)  ? PyTuple_GET_SIZE(attrs)
                         : PyList_Check(attrs) ? PyList_GET_SIZE(attrs)
                                               : -1;
    if (n_attrs < 0)
        return 0;
    if (n_attrs == 0)
        return 1;
    if (n_attrs == 1) {
        PyObject *pair = PyTuple_Check(attrs) ? PyTuple_GET_ITEM(attrs, 0) : PyList_GET_ITEM(attrs, 0);
        if (PyTuple_Check(pair) && PyTuple_GET_SIZE(pair) == 2) {
            PyObject *x = PyTuple_GET_ITEM(pair, 0), *v = PyTuple_GET_ITEM(pair, 1);
            *x_utf8 = plain_utf8(x, x_len);
            *v_utf8 = *x_utf8 != NULL ? plain_utf8(v, v_len) : NULL;
            if (*v_utf8 != NULL) {
                int taken = PySet_Contains(spec->taken, x);
                if (taken < 0)
                    return -1;
                if (!taken)
                    return 1;
            }
            *x_utf8 = *v_utf8 = NULL;
        }
    }
    PyObject *text = PyObject_CallFunctionObjArgs(extras, attrs, spec->taken, NULL);
    if (text == NULL)
        return -1;
    if (text == Py_None) {
        Py_DECREF(text);
        return 0;
    }
    if (!PyUnicode_Check(text)) {
        Py_DECREF(text);
        PyErr_SetString(PyExc_TypeError, "extras() must return a str or None");
        return -1;
    }
    *tail_text = text;
    return 1;
}

/* Write one field's "key":value (after a comma unless *first), or nothing when its
 * guard says so; 1 written or skipped, 0 when Python must write the record, -1 error. */
static int
write_field(PyObject *r, Field *f, Buffer *out, int *first, int *record_vp)
{
    PyObject *v = NULL;
    if (f->how != HOW_CONST) {
        v = slot(r, f->offset);
        if (v == NULL)
            return 0; /* an unset slot: Python's path says so */
        if (f->guard == GUARD_NOT_NONE && v == Py_None)
            return 1;
        if (f->guard == GUARD_TRUTHY) { /* only truths that run no Python code */
            if (v == Py_None || (PyUnicode_CheckExact(v) && PyUnicode_GET_LENGTH(v) == 0))
                return 1;
            if (!PyUnicode_CheckExact(v))
                return 0;
        }
    }
    Py_ssize_t len = 0;
    const char *text = NULL;
    char time_text[TIME_TEXT];
    switch (f->how) {
    case HOW_LIST:
        if (!PyList_Check(v) && !PyTuple_Check(v))
            return 0;
        if (PySequence_Fast_GET_SIZE(v) != 0)
            return 0; /* values: Python writes them */
        *record_vp |= f->is_vp; /* a voprov name counts as written even for an empty list */
        return 1;
    case HOW_TIME:
    case HOW_TIMEOBJ:
        len = format_time(v, time_text);
        if (len < 0)
            return 0;
        text = time_text;
        break;
    case HOW_STR:
    case HOW_QNAME:
        text = plain_utf8(v, &len);
        if (text == NULL)
            return PyErr_Occurred() ? -1 : 0;
        break;
    }
    if (!*first && PUT_LITERAL(out, ",") < 0)
        return -1;
    *first = 0;
    if (put(out, f->head, f->head_len) < 0)
        return -1;
    int failed = 0;
    switch (f->how) {
    case HOW_CONST:
        failed = put(out, f->constant, f->constant_len) < 0;
        break;
    case HOW_STR:
    case HOW_TIME:
        failed = PUT_LITERAL(out, "\"") < 0 || put(out, text, len) < 0 || PUT_LITERAL(out, "\"") < 0;
        break;
    case HOW_TIMEOBJ:
        failed = PUT_LITERAL(out, "{\"$\":\"") < 0 || put(out, text, len) < 0 ||
                 PUT_LITERAL(out, "\",\"type\":\"xsd:dateTime\"}") < 0;
        break;
    case HOW_QNAME:
        failed = PUT_LITERAL(out, "{\"$\":\"") < 0 || put(out, text, len) < 0 ||
                 PUT_LITERAL(out, "\",\"type\":\"xsd:QName\"}") < 0;
        break;
    }
    if (failed)
        return -1;
    *record_vp |= f->is_vp;
    return 1;
}

/* Write one record of a known class; 1 written, 0 to be written by Python (nothing
 * kept), -1 error. */
static int
write_one(PyObject *r, Spec *spec, Buffer *out, Py_ssize_t *n, int *vp, PyObject *extras, Py_ssize_t id_offset,
          Py_ssize_t attrs_offset)
{
    Py_ssize_t start = out->len;
    Py_ssize_t n_before = *n;
    int record_vp = 0, outcome = -1;
    PyObject *tail_text = NULL; /* from extras() */

    /* the id (held: extras() is Python code, and its text is written after it) */
    PyObject *ident = slot(r, id_offset);
    if (ident == NULL)
        return 0;
    Py_ssize_t ident_len = 0;
    const char *ident_utf8 = NULL;
    if (ident != Py_None) {
        ident_utf8 = plain_utf8(ident, &ident_len);
        if (ident_utf8 == NULL)
            return PyErr_Occurred() ? -1 : 0;
    }
    Py_INCREF(ident);
    PyObject *attrs = slot(r, attrs_offset);
    if (attrs == NULL) {
        Py_DECREF(ident);
        return 0;
    }

    /* ,"id":{ */
    if (ident == Py_None) {
        char number[32];
        *n += 1;
        if (put(out, number, format_anonymous(*n, number)) < 0)
            goto done;
    }
    else if (PUT_LITERAL(out, ",\"") < 0 || put(out, ident_utf8, ident_len) < 0 || PUT_LITERAL(out, "\":{") < 0)
        goto done;

    int first = 1;
    for (int i = 0; i < spec->n_fields; i++) {
        int written = write_field(r, &spec->fields[i], out, &first, &record_vp);
        if (written <= 0) {
            outcome = written;
            goto done;
        }
    }
    /* the extra attributes: none, one plain pair, or extras()'s text. Asked last: the
     * escapes in extras()'s text are counted (see unexpected_escapes) and must all be
     * in the output, so nothing may give the record up once it has been made. */
    const char *x_utf8 = NULL, *v_utf8 = NULL;
    Py_ssize_t x_len = 0, v_len = 0;
    int extras_ok = read_extras(attrs, spec, extras, &x_utf8, &x_len, &v_utf8, &v_len, &tail_text);
    if (extras_ok <= 0) {
        outcome = extras_ok;
        goto done;
    }
    if (x_utf8 != NULL) {
        if ((!first && PUT_LITERAL(out, ",") < 0) || PUT_LITERAL(out, "\"") < 0 || put(out, x_utf8, x_len) < 0 ||
            PUT_LITERAL(out, "\":\"") < 0 || put(out, v_utf8, v_len) < 0 || PUT_LITERAL(out, "\"") < 0)
            goto done;
    }
    else if (tail_text != NULL) {
        /* extras()'s text starts with a comma, cut when no field came before it */
        Py_ssize_t len;
        const char *utf8 = PyUnicode_AsUTF8AndSize(tail_text, &len);
        if (utf8 == NULL)
            goto done;
        if (first && len > 0) {
            utf8++;
            len--;
        }
        if (put(out, utf8, len) < 0)
            goto done;
    }
    if (PUT_LITERAL(out, "}") < 0)
        goto done;
    if (ident != Py_None && PyList_Append(spec->named, ident) < 0)
        goto done;
    *vp |= record_vp;
    outcome = 1;
done:
    if (outcome != 1) { /* nothing of this record is kept */
        out->len = start;
        *n = n_before;
    }
    Py_XDECREF(tail_text);
    Py_DECREF(ident);
    return outcome;
}

/* Append the text of a callback's result, (n, kind, str) or, when kind >= 0 is given,
 * (n, str), to its kind's buffer and take n from it; 0 or -1. */
static int
take_text(PyObject *result, Py_ssize_t *n, Buffer *buffers, int n_kinds, int kind)
{
    Py_ssize_t size = kind < 0 ? 3 : 2;
    if (!PyTuple_Check(result) || PyTuple_GET_SIZE(result) != size) {
        PyErr_SetString(PyExc_TypeError, "a callback must return (n, kind, text), or (n, text)");
        return -1;
    }
    Py_ssize_t number = PyLong_AsSsize_t(PyTuple_GET_ITEM(result, 0));
    if (number == -1 && PyErr_Occurred())
        return -1;
    if (kind < 0) {
        kind = PyLong_AsLong(PyTuple_GET_ITEM(result, 1));
        if (kind == -1 && PyErr_Occurred())
            return -1;
    }
    PyObject *text = PyTuple_GET_ITEM(result, size - 1);
    if (kind < 0 || kind >= n_kinds || !PyUnicode_Check(text)) {
        PyErr_SetString(PyExc_ValueError, "a callback returned a kind out of range or a text that is not a str");
        return -1;
    }
    Py_ssize_t len;
    const char *utf8 = PyUnicode_AsUTF8AndSize(text, &len);
    if (utf8 == NULL)
        return -1;
    *n = number;
    return put(&buffers[kind], utf8, len);
}

/* Call back(r, n) and take its text (see take_text); 0 or -1. */
static int
call_back(PyObject *back, PyObject *r, Py_ssize_t *n, Buffer *buffers, int n_kinds, int kind)
{
    PyObject *got = PyObject_CallFunction(back, "On", r, *n);
    if (got == NULL)
        return -1;
    int status = take_text(got, n, buffers, n_kinds, kind);
    Py_DECREF(got);
    return status;
}

PyObject *
write_records(PyObject *module, PyObject *args)
{
    PyObject *records, *specs, *slow, *extras, *associate;
    int n_kinds, plans_kind;
    Py_ssize_t id_offset, attrs_offset, n;
    if (!PyArg_ParseTuple(args, "O!O!iiOOOnnn", &PyList_Type, &records, &PyDict_Type, &specs, &n_kinds, &plans_kind,
                          &slow, &extras, &associate, &id_offset, &attrs_offset, &n))
        return NULL;
    if (n_kinds < 1 || n_kinds > MAX_KINDS || plans_kind < 0 || plans_kind >= n_kinds ||
        PyDict_GET_SIZE(specs) > MAX_CLASSES) {
        PyErr_SetString(PyExc_ValueError, "kinds or classes out of range for the compiled writer");
        return NULL;
    }
    Spec *table = PyMem_Calloc((size_t)PyDict_GET_SIZE(specs) + 1, sizeof(Spec));
    Buffer *buffers = PyMem_Calloc((size_t)n_kinds, sizeof(Buffer));
    PyObject *result = NULL, *before_plans = NULL, *texts = NULL;
    int n_specs = 0, vp = 0;
    if (table == NULL || buffers == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    Py_ssize_t pos = 0;
    PyObject *cls, *tuple;
    while (PyDict_Next(specs, &pos, &cls, &tuple)) {
        if (read_spec(cls, tuple, n_kinds, id_offset, attrs_offset, &table[n_specs]) < 0)
            goto done;
        n_specs++;
    }
    /* the list may change under a callback: its items are read by index, each time */
    Spec *last = NULL;
    for (Py_ssize_t i = 0; i < PyList_GET_SIZE(records); i++) {
        PyObject *r = PyList_GET_ITEM(records, i);
        PyTypeObject *type = Py_TYPE(r);
        Spec *spec = last != NULL && last->cls == type ? last : NULL;
        for (int s = 0; spec == NULL && s < n_specs; s++)
            if (table[s].cls == type)
                spec = last = &table[s];
        Py_INCREF(r);
        int written = 0;
        if (spec != NULL)
            written = write_one(r, spec, &buffers[spec->kind], &n, &vp, extras, id_offset, attrs_offset);
        if (written == 0)
            written = call_back(slow, r, &n, buffers, n_kinds, -1) < 0 ? -1 : 1;
        /* an activity's plan association follows it */
        if (written > 0 && spec != NULL && spec->description_offset >= 0) {
            PyObject *description = slot(r, spec->description_offset);
            if (description != NULL && description != Py_None) {
                if (before_plans == NULL && buffers[plans_kind].len == 0) {
                    before_plans = PyTuple_New(n_kinds);
                    if (before_plans == NULL)
                        written = -1;
                    for (int k = 0; written > 0 && k < n_kinds; k++)
                        PyTuple_SET_ITEM(before_plans, k, PyBool_FromLong(buffers[k].len > 0));
                }
                if (written > 0 && call_back(associate, r, &n, buffers, n_kinds, plans_kind) < 0)
                    written = -1;
            }
        }
        Py_DECREF(r);
        if (written < 0)
            goto done;
    }
    texts = PyTuple_New(n_kinds);
    if (texts == NULL)
        goto done;
    for (int k = 0; k < n_kinds; k++) {
        PyObject *text = take_bytes(&buffers[k]);
        if (text == NULL)
            goto done;
        PyTuple_SET_ITEM(texts, k, text);
    }
    result = Py_BuildValue("nNOO", n, PyBool_FromLong(vp), texts, before_plans ? before_plans : Py_None);
done:
    if (buffers != NULL)
        for (int k = 0; k < n_kinds; k++)
            free_buffer(&buffers[k]);
    PyMem_Free(buffers);
    PyMem_Free(table);
    Py_XDECREF(texts);
    Py_XDECREF(before_plans);
    return result;
}

PyObject *
count_types(PyObject *module, PyObject *records)
{
    if (!PyList_Check(records)) {
        PyErr_SetString(PyExc_TypeError, "count_types() takes a list");
        return NULL;
    }
    /* the types seen, in order, and their counts: a document has a few dozen classes
     * at most, and records of one class mostly come in runs (the last one is tried first) */
    Py_ssize_t n_types = 0, cap = 0, last = -1;
    PyObject **types = NULL;
    Py_ssize_t *counts = NULL;
    PyObject *result = NULL;
    for (Py_ssize_t i = 0; i < PyList_GET_SIZE(records); i++) {
        PyObject *type = (PyObject *)Py_TYPE(PyList_GET_ITEM(records, i));
        if (last < 0 || types[last] != type) {
            last = -1;
            for (Py_ssize_t t = 0; last < 0 && t < n_types; t++)
                if (types[t] == type)
                    last = t;
            if (last < 0) {
                if (n_types == cap) {
                    cap = cap ? 2 * cap : 32;
                    PyObject **more_types = PyMem_Realloc(types, (size_t)cap * sizeof(PyObject *));
                    if (more_types != NULL)
                        types = more_types;
                    Py_ssize_t *more_counts = PyMem_Realloc(counts, (size_t)cap * sizeof(Py_ssize_t));
                    if (more_counts != NULL)
                        counts = more_counts;
                    if (more_types == NULL || more_counts == NULL) {
                        PyErr_NoMemory();
                        goto done;
                    }
                }
                types[n_types] = type;
                counts[n_types] = 0;
                last = n_types++;
            }
        }
        counts[last]++;
    }
    /* no Python code ran above: the types (borrowed from the records) are alive */
    result = PyDict_New();
    for (Py_ssize_t t = 0; result != NULL && t < n_types; t++) {
        PyObject *count = PyLong_FromSsize_t(counts[t]);
        if (count == NULL || PyDict_SetItem(result, types[t], count) < 0)
            Py_CLEAR(result);
        Py_XDECREF(count);
    }
done:
    PyMem_Free(types);
    PyMem_Free(counts);
    return result;
}

/* 8 bytes at a time: whether any is below 0x20, or is a backslash */
#define ONES UINT64_C(0x0101010101010101)
#define HIGHS UINT64_C(0x8080808080808080)
#define HAS_LESS(x, n) (((x) - ONES * (n)) & ~(x) & HIGHS)
#define HAS_ZERO(x) (((x) - ONES) & ~(x) & HIGHS)

PyObject *
unexpected_escapes(PyObject *module, PyObject *args)
{
    Py_buffer view;
    Py_ssize_t escapes;
    if (!PyArg_ParseTuple(args, "y*n", &view, &escapes))
        return NULL;
    const unsigned char *data = view.buf;
    Py_ssize_t len = view.len, i = 0, backslashes = 0;
    int control = 0;
    for (; !control && i + 8 <= len; i += 8) {
        uint64_t word;
        memcpy(&word, data + i, 8);
        if (!HAS_LESS(word, 0x20) && !HAS_ZERO(word ^ (ONES * '\\')))
            continue;
        for (int j = 0; j < 8; j++) {
            control |= data[i + j] < 0x20;
            backslashes += data[i + j] == '\\';
        }
    }
    for (; !control && i < len; i++) {
        control |= data[i] < 0x20;
        backslashes += data[i] == '\\';
    }
    PyBuffer_Release(&view);
    return PyBool_FromLong(control || backslashes != escapes);
}

int
init_write(void)
{
    PyDateTime_IMPORT;
    return PyDateTimeAPI == NULL ? -1 : 0;
}
