"""The tutorial's Flask app, as written there: a pickled model and a DataFrame per request.

Benchmark only (see train_model.py). Served like the tutorial's Procfile: `gunicorn app:app`.
"""
import pickle

import pandas as pd
from flask import Flask, render_template, request

app = Flask(__name__)

filename = "models/model.sav"
model = pickle.load(open(filename, "rb"))


@app.route("/", methods=["GET", "POST"])
def main():
    if request.method == "POST":
        temperature = request.form.get("temperature")
        humidity = request.form.get("humidity")
        windspeed = request.form.get("windspeed")
        input_variables = pd.DataFrame([[temperature, humidity, windspeed]],
                                       columns=["temperature", "humidity", "windspeed"],
                                       dtype=float, index=["input"])
        prediction = model.predict(input_variables)[0]
        return render_template("index.html", original_input={"Temperature": temperature,
                                                             "Humidity": humidity,
                                                             "Windspeed": windspeed},
                               result=prediction)
    return render_template("index.html")
