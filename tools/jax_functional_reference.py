# Reference literals for crates/autograd/tests/suite/functional.rs (float64 JAX).
import jax, jax.numpy as jnp
jax.config.update("jax_enable_x64", True)
a = jnp.array([[0.3, -1.2, 0.5], [0.8, 0.1, -0.4]])
b = jnp.array([[1.0, -0.5], [0.2, 0.7], [-0.3, 0.9]])
va = jnp.array([[0.1, 0.2, -0.3], [0.4, -0.5, 0.6]])
vb = jnp.array([[-0.2, 0.3], [0.5, -0.1], [0.7, 0.2]])
f = lambda a, b: jnp.sum(jnp.tanh(a @ b) ** 2) + jnp.sum(a ** 3) * b[0, 0]
y, jv = jax.jvp(f, (a, b), (va, vb))
g = jax.grad(f, argnums=(0, 1))
_, hv = jax.jvp(g, (a, b), (va, vb))
h = jax.hessian(f, argnums=(0, 1))(a, b)
import numpy as np
np.set_printoptions(precision=17)
print("f", repr(float(y)), "jvp", repr(float(jv)))
print("hv_a", [repr(float(x)) for x in np.ravel(hv[0])])
print("hv_b", [repr(float(x)) for x in np.ravel(hv[1])])
print("h_ab[0,1,2,0]", repr(float(h[0][1][0, 1, 2, 0])), "h_ba[2,0,0,1]", repr(float(h[1][0][2, 0, 0, 1])))
