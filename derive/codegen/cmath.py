"""C source of the vectorisable exp, tanh and sigmoid the fused kernels use (float64 and float32).

exp(x): Cody-Waite range reduction x = k ln2 + r, |r| <= ln2/2 (k by the 1.5 * 2^52 rounding trick,
so no call to rint), a Horner polynomial in r (Taylor to degree 13 in float64, Cephes' expf degree-7
fit in float32), then 2^k built from bits as 2^(k/2) * 2^(k - k/2), so results between the least
normal and the least subnormal round once, as subnormals.  Every branch is a select: gcc -O3
-march=native vectorises the loops that call it (AVX2 here: 4 doubles or 8 floats a lane; this
machine's CPU flags show no AVX-512, and gcc 12 reads it as znver3).  x is
clamped to [-746, 710] first (exp is 0 or inf outside) and a NaN is returned as it came.
tanh(x): for |x| < 0.625 Cephes' odd rational (float64) or polynomial (float32) in x^2, else
1 - 2/(exp(2|x|) + 1), with x's sign; sigmoid(x) = 1/(1 + exp(-x)) as 1/(1 + e) or e/(1 + e) with
e = exp(-|x|): 1 at the right end, the correct tiny values (then 0) at the left, NaN kept.  log(x):
2 atanh of (m - 1)/(m + 1) for the mantissa m, plus the exponent times ln 2 (the losses' terms).
Measured accuracy (tests/test_fused_kernels.py sweeps it against math.exp/np.exp) is stated there and
in the README.  Nothing here depends on the network: the text is constant.
"""

PRELUDE = r"""
#include <stdint.h>
#include <string.h>

static inline double d_from_bits(uint64_t u) { double d; memcpy(&d, &u, 8); return d; }
static inline uint64_t d_bits(double d) { uint64_t u; memcpy(&u, &d, 8); return u; }
static inline float f_from_bits(uint32_t u) { float f; memcpy(&f, &u, 4); return f; }
static inline uint32_t f_bits(float f) { uint32_t u; memcpy(&u, &f, 4); return u; }

static inline double exp_d(double x)
{
    const double shift = 6755399441055744.0;              /* 1.5 * 2^52: adding it rounds to an integer */
    double xc = x < -746.0 ? -746.0 : (x > 710.0 ? 710.0 : x);
    double kd = xc * 1.4426950408889634 + shift;
    int64_t k = (int64_t)(d_bits(kd) - d_bits(shift));
    kd -= shift;
    double r = xc - kd * 6.93147180369123816490e-01;      /* ln2 in two parts (Cody-Waite) */
    r = r - kd * 1.90821492927058770002e-10;
    double p = 1.0 / 6227020800.0;
    p = p * r + 1.0 / 479001600.0;
    p = p * r + 1.0 / 39916800.0;
    p = p * r + 1.0 / 3628800.0;
    p = p * r + 1.0 / 362880.0;
    p = p * r + 1.0 / 40320.0;
    p = p * r + 1.0 / 5040.0;
    p = p * r + 1.0 / 720.0;
    p = p * r + 1.0 / 120.0;
    p = p * r + 1.0 / 24.0;
    p = p * r + 1.0 / 6.0;
    p = p * r + 0.5;
    p = p * r + 1.0;
    p = p * r + 1.0;
    int64_t k1 = k >> 1, k2 = k - k1;                      /* 2^k in two normal factors */
    double y = p * d_from_bits((uint64_t)(k1 + 1023) << 52) * d_from_bits((uint64_t)(k2 + 1023) << 52);
    return x != x ? x : y;
}

static inline float exp_f(float x)
{
    const float shift = 12582912.0f;                       /* 1.5 * 2^23 */
    float xc = x < -104.0f ? -104.0f : (x > 89.0f ? 89.0f : x);
    float kd = xc * 1.44269504088896341f + shift;
    int32_t k = (int32_t)(f_bits(kd) - f_bits(shift));
    kd -= shift;
    float r = xc - kd * 0.693359375f;
    r = r - kd * -2.12194440e-4f;
    float p = 1.9875691500e-4f;
    p = p * r + 1.3981999507e-3f;
    p = p * r + 8.3334519073e-3f;
    p = p * r + 4.1665795894e-2f;
    p = p * r + 1.6666665459e-1f;
    p = p * r + 5.0000001201e-1f;
    p = p * (r * r) + r + 1.0f;
    int32_t k1 = k >> 1, k2 = k - k1;
    float y = p * f_from_bits((uint32_t)(k1 + 127) << 23) * f_from_bits((uint32_t)(k2 + 127) << 23);
    return x != x ? x : y;
}

static inline double tanh_d(double x)
{
    double ax = x < 0 ? -x : x;
    double z = x * x;                                      /* Cephes tanh, |x| < 0.625 */
    double P = (-9.64399179425052238628e-1 * z - 9.92877231001918586564e1) * z - 1.61468768441708447952e3;
    double Q = ((z + 1.12811678491632931402e2) * z + 2.23548839060100448583e3) * z + 4.84406305325125486048e3;
    double small = x + x * z * P / Q;
    double big = 1.0 - 2.0 / (exp_d(ax + ax) + 1.0);
    big = x < 0 ? -big : big;
    return ax < 0.625 ? small : big;                       /* NaN: big, which is NaN */
}

static inline float tanh_f(float x)
{
    float ax = x < 0 ? -x : x;
    float z = x * x;                                       /* Cephes tanhf, |x| < 0.625 */
    float p = ((((-5.70498872745e-3f * z + 2.06390887954e-2f) * z - 5.37397155531e-2f) * z
               + 1.33314422036e-1f) * z - 3.33332819422e-1f) * z * x + x;
    float big = 1.0f - 2.0f / (exp_f(ax + ax) + 1.0f);
    big = x < 0 ? -big : big;
    return ax < 0.625f ? p : big;
}

/* sigmoid from e = exp(-|x|) <= 1: 1/(1 + e) for x >= 0, e/(1 + e) below (no overflow, so the tiny
   values of the far left tail are kept, down to the least subnormal) */
static inline double sigmoid_d(double x)
{
    double e = exp_d(x < 0 ? x : -x), s = 1.0 / (1.0 + e);
    return x < 0 ? e * s : s;
}
static inline float sigmoid_f(float x)
{
    float e = exp_f(x < 0 ? x : -x), s = 1.0f / (1.0f + e);
    return x < 0 ? e * s : s;
}
/* log(x) = k ln2 + log(m), m in [sqrt(1/2), sqrt(2)), log(m) = 2 atanh(s) with s = (m - 1)/(m + 1),
   |s| <= 0.1716, as its odd series (to s^23 in float64, s^11 in float32); subnormals scaled first;
   log(0) = -inf, log(x < 0) = NaN, log(inf) = inf, NaN kept */
static inline double log_d(double x)
{
    int sub = x < 2.2250738585072014e-308;
    uint64_t u = d_bits(sub ? x * 18014398509481984.0 : x);              /* 2^54 */
    int64_t e = (int64_t)((u >> 52) & 0x7ff) - 1023 - (sub ? 54 : 0);
    double m = d_from_bits((u & 0x000fffffffffffffULL) | 0x3ff0000000000000ULL);
    int big = m > 1.4142135623730951;
    m = big ? m * 0.5 : m;
    double k = (double)(e + big);
    double s = (m - 1.0) / (m + 1.0), s2 = s * s;
    double p = 1.0 / 23;
    p = p * s2 + 1.0 / 21; p = p * s2 + 1.0 / 19; p = p * s2 + 1.0 / 17; p = p * s2 + 1.0 / 15;
    p = p * s2 + 1.0 / 13; p = p * s2 + 1.0 / 11; p = p * s2 + 1.0 / 9; p = p * s2 + 1.0 / 7;
    p = p * s2 + 1.0 / 5; p = p * s2 + 1.0 / 3;
    double r = k * 6.93147180369123816490e-01 + (2.0 * s + 2.0 * s * s2 * p + k * 1.90821492927058770002e-10);
    r = x == 0 ? -1.0 / 0.0 : r;
    r = x < 0 ? 0.0 / 0.0 : r;
    r = x == 1.0 / 0.0 ? x : r;
    return x != x ? x : r;
}

static inline float log_f(float x)
{
    int sub = x < 1.17549435e-38f;
    uint32_t u = f_bits(sub ? x * 16777216.0f : x);                      /* 2^24 */
    int32_t e = (int32_t)((u >> 23) & 0xff) - 127 - (sub ? 24 : 0);
    float m = f_from_bits((u & 0x007fffffU) | 0x3f800000U);
    int big = m > 1.41421356f;
    m = big ? m * 0.5f : m;
    float k = (float)(e + big);
    float s = (m - 1.0f) / (m + 1.0f), s2 = s * s;
    float p = 1.0f / 11;
    p = p * s2 + 1.0f / 9; p = p * s2 + 1.0f / 7; p = p * s2 + 1.0f / 5; p = p * s2 + 1.0f / 3;
    float r = k * 0.693359375f + (2.0f * s + 2.0f * s * s2 * p + k * -2.12194440e-4f);
    r = x == 0 ? -1.0f / 0.0f : r;
    r = x < 0 ? 0.0f / 0.0f : r;
    r = x == 1.0f / 0.0f ? x : r;
    return x != x ? x : r;
}

static inline double relu_d(double x) { return x < 0 ? 0.0 : x; }          /* NaN stays NaN */
static inline float relu_f(float x) { return x < 0 ? 0.0f : x; }
static inline double step_d(double x) { return x > 0 ? 1.0 : (x != x ? x : 0.0); }
static inline float step_f(float x) { return x > 0 ? 1.0f : (x != x ? x : 0.0f); }
"""

TAKE = r"""
/* A C-contiguous float64 or float32 buffer of ``o`` (None allowed when optional); every array of a
   call has one item size.  A layout or dtype that does not fit is a BufferError: the caller's NumPy
   code runs instead. */
static int take(PyObject *o, Py_buffer *v, int *got, int writable, int optional, int *size)
{
    if (o == Py_None && optional) return 0;
    if (PyObject_GetBuffer(o, v, PyBUF_C_CONTIGUOUS | PyBUF_FORMAT | (writable ? PyBUF_WRITABLE : 0)) < 0) {
        PyErr_Clear(); PyErr_SetString(PyExc_BufferError, "not a C-contiguous array"); return -1;
    }
    *got = 1;
    const char *f = v->format ? v->format : "B";
    if (*f == '@' || *f == '=' || *f == '<') f++;
    int s = (f[0] == 'd' && !f[1]) ? 8 : (f[0] == 'f' && !f[1]) ? 4 : 0;
    if (!s || v->itemsize != s || (*size && *size != s)) {
        PyErr_SetString(PyExc_BufferError, "not float64 or float32, or mixed"); return -1;
    }
    *size = s;
    return 0;
}
"""

# A module of the functions alone, applied over an array (tests and benchmarks measure them so):
# apply(which, x, y) writes y = exp, tanh, sigmoid or log (0, 1, 2, 3) of x, float64 or float32.
MATH_MODULE = """#define PY_SSIZE_T_CLEAN
#include <Python.h>
@PRELUDE@
""" + TAKE + r"""
static PyObject *apply(PyObject *self, PyObject *const *args, Py_ssize_t nargs)
{
    Py_buffer x, y; int gx = 0, gy = 0, size = 0; PyObject *res = NULL;
    if (nargs != 3) { PyErr_SetString(PyExc_TypeError, "apply(which, x, y)"); return NULL; }
    long which = PyLong_AsLong(args[0]);
    if (which < 0 || which > 3) { if (!PyErr_Occurred()) PyErr_SetString(PyExc_ValueError, "which"); return NULL; }
    if (take(args[1], &x, &gx, 0, 0, &size) < 0 || take(args[2], &y, &gy, 1, 0, &size) < 0) goto done;
    if (x.len != y.len) { PyErr_SetString(PyExc_ValueError, "sizes differ"); goto done; }
    Py_ssize_t n = x.len / size;
    if (size == 8) {
        const double *a = x.buf; double *b = y.buf;
        if (which == 0) for (Py_ssize_t i = 0; i < n; i++) b[i] = exp_d(a[i]);
        else if (which == 1) for (Py_ssize_t i = 0; i < n; i++) b[i] = tanh_d(a[i]);
        else if (which == 3) for (Py_ssize_t i = 0; i < n; i++) b[i] = log_d(a[i]);
        else for (Py_ssize_t i = 0; i < n; i++) b[i] = sigmoid_d(a[i]);
    } else {
        const float *a = x.buf; float *b = y.buf;
        if (which == 0) for (Py_ssize_t i = 0; i < n; i++) b[i] = exp_f(a[i]);
        else if (which == 1) for (Py_ssize_t i = 0; i < n; i++) b[i] = tanh_f(a[i]);
        else if (which == 3) for (Py_ssize_t i = 0; i < n; i++) b[i] = log_f(a[i]);
        else for (Py_ssize_t i = 0; i < n; i++) b[i] = sigmoid_f(a[i]);
    }
    Py_INCREF(Py_None); res = Py_None;
done:
    if (gx) PyBuffer_Release(&x);
    if (gy) PyBuffer_Release(&y);
    return res;
}
static PyMethodDef methods[] = {{"apply", (PyCFunction)(void (*)(void))apply, METH_FASTCALL, NULL}, {NULL, NULL, 0, NULL}};
static struct PyModuleDef mod = {PyModuleDef_HEAD_INIT, "@NAME@", NULL, -1, methods};
PyMODINIT_FUNC PyInit_@NAME@(void) { return PyModule_Create(&mod); }
"""
