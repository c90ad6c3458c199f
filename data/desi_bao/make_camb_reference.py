"""Regenerate camb_reference.csv: CAMB's thetastar, rdrag and zstar for six cosmologies.

Run once where CAMB is installed (pip install camb==2.0.5); the table lets the tests check
reprolab.cosmology.early without CAMB. Columns: h, omega_b, omega_c, w0, wa, theta_star, r_drag_mpc, z_star.
"""

import camb

CASES = [(0.6736, 0.02237, 0.1200, -1.0, 0.0), (0.70, 0.0222, 0.118, -1.0, 0.0), (0.64, 0.0224, 0.121, -0.45, -1.7),
         (0.66, 0.0220, 0.124, -0.8, -0.6), (0.68, 0.0226, 0.117, -1.2, 0.3), (0.62, 0.0223, 0.119, -0.3, -2.2)]

print(f"# CAMB {camb.__version__}: mnu=0.06 eV (one massive), nnu=3.044, TCMB=2.7255, dark_energy_model=ppf")
print("h,omega_b,omega_c,w0,wa,theta_star,r_drag_mpc,z_star")
for h, ob, oc, w0, wa in CASES:
    params = camb.set_params(H0=100 * h, ombh2=ob, omch2=oc, mnu=0.06, nnu=3.044, num_massive_neutrinos=1,
                             w=w0, wa=wa, dark_energy_model="ppf", TCMB=2.7255)
    derived = camb.get_background(params).get_derived_params()
    print(f"{h},{ob},{oc},{w0},{wa},{derived['thetastar'] / 100:.10e},{derived['rdrag']:.6f},{derived['zstar']:.4f}")
