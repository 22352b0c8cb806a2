/*
 * What the parts of provarchive.formats._provjson_accel share: reading and checking
 * the __slots__ of records, whose offsets Python gives (slot_offset() of the class's
 * own member descriptors), and the functions each part defines for module.c.
 */
#ifndef PROVJSON_ACCEL_COMMON_H
#define PROVJSON_ACCEL_COMMON_H

#define PY_SSIZE_T_CLEAN
#include <Python.h>

/* the object in a slot (borrowed; NULL while the slot is unset) */
static inline PyObject *
slot(PyObject *record, Py_ssize_t offset)
{
    return *(PyObject **)((char *)record + offset);
}

/* put value (a new reference taken) in a slot, dropping what it held */
static inline void
set_slot(PyObject *record, Py_ssize_t offset, PyObject *value)
{
    PyObject **place = (PyObject **)((char *)record + offset);
    PyObject *old = *place;
    *place = value;
    Py_XDECREF(old);
}

/* Whether a slot offset lies inside the instances of cls: 1, or 0 with a ValueError
 * (offsets come from slot_offset(); this guards against a spec mixed up). */
int offset_ok(PyObject *cls, Py_ssize_t offset);

/* write.c */
PyObject *write_records(PyObject *module, PyObject *args);
PyObject *count_types(PyObject *module, PyObject *records);
PyObject *unexpected_escapes(PyObject *module, PyObject *args);
int init_write(void);

/* decode.c */
PyObject *decode_records(PyObject *module, PyObject *args);
PyObject *parse_time(PyObject *module, PyObject *text);
int init_decode(void);

#endif
