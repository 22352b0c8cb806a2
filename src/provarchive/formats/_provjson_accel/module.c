/*
 * provarchive.formats._provjson_accel: the PROV-JSON reader's and writer's per-record
 * loops, compiled (optional: see setup.py).
 *
 * Python keeps every rule: it turns its plans into specs (which key goes in which
 * slot, how each value is spelled) that these loops follow, and takes back, in its
 * place, every record they cannot handle exactly. Without this module the same
 * plans drive generated Python code, and the tests run both ways and compare.
 *
 *   write.c   write_records, count_types, unexpected_escapes (provjson_write.py)
 *   decode.c  decode_records, parse_time (provjson_decoders.py)
 */
#include "common.h"

#include <structmember.h>

int
offset_ok(PyObject *cls, Py_ssize_t offset)
{
    Py_ssize_t size = ((PyTypeObject *)cls)->tp_basicsize;
    if (offset >= (Py_ssize_t)sizeof(PyObject) && offset + (Py_ssize_t)sizeof(PyObject *) <= size)
        return 1;
    PyErr_Format(PyExc_ValueError, "slot offset %zd is outside the instances of %R", offset, cls);
    return 0;
}

static PyObject *
slot_offset(PyObject *module, PyObject *descriptor)
{
    if (!Py_IS_TYPE(descriptor, &PyMemberDescr_Type)) {
        PyErr_Format(PyExc_TypeError, "not a slot: %R", descriptor);
        return NULL;
    }
    PyMemberDef *member = ((PyMemberDescrObject *)descriptor)->d_member;
    if (member->type != T_OBJECT_EX || (member->flags & READONLY)) {
        PyErr_Format(PyExc_TypeError, "not a writable object slot: %R", descriptor);
        return NULL;
    }
    return PyLong_FromSsize_t(member->offset);
}

static PyMethodDef methods[] = {
    {"write_records", write_records, METH_VARARGS, "Write the records' statements as PROV-JSON text (see write.c)."},
    {"count_types", count_types, METH_O, "How many records of each type a list holds, in the order types come."},
    {"unexpected_escapes", unexpected_escapes, METH_VARARGS,
     "Whether data holds a control character, or more backslashes than the escapes given."},
    {"decode_records", decode_records, METH_VARARGS, "Build the records of one PROV-JSON section (see decode.c)."},
    {"parse_time", parse_time, METH_O,
     "datetime.fromisoformat(text) for the spellings decode_records reads itself, else None."},
    {"slot_offset", slot_offset, METH_O, "The offset of a __slots__ member in its instances."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module_def = {
    PyModuleDef_HEAD_INIT, "_provjson_accel", "The PROV-JSON reader's and writer's record loops, compiled.", -1,
    methods, NULL, NULL, NULL, NULL,
};

PyMODINIT_FUNC
PyInit__provjson_accel(void)
{
    if (init_write() < 0 || init_decode() < 0)
        return NULL;
    return PyModule_Create(&module_def);
}
